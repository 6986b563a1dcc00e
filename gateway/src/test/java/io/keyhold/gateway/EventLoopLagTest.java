package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Each HTTP server's event loop is probed for lateness, and /metrics shows it: a loop held up shows a lag about
 * as long as the hold, which no answer timer sees, since those start at the first handler.
 */
class EventLoopLagTest {
  private static final String STALL_PATH = "/test/stall";
  /** Many probe periods long, so the lag it leaves stands far above a quiet loop's. */
  private static final long STALL_MS = 300;
  private static final int INSTANCES = 2;

  @Test
  void aStalledEventLoopShowsAsLagInTheMetrics() throws Exception {
    try (TestGateway gw = TestGateway.start(config -> config.httpInstances(INSTANCES))) {
      Timer lag = gw.gateway().meterRegistry().get(EventLoopLag.LAG_TIMER).timer();
      // Probes run from the start: a quiet loop is a few milliseconds late at most.
      waitForProbes(lag, 10);
      assertThat(lag.max(TimeUnit.MILLISECONDS)).isLessThan(STALL_MS / 2.0);

      // What an overloaded loop does to everything queued on it, provoked on purpose: the handler keeps its loop
      // busy (spinning, not sleeping) for the whole stall.
      gw.gateway().router().get(STALL_PATH).handler(ctx -> {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MS);
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
        ctx.response().end("stalled");
      });
      HttpResponse<String> stalled = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(gw.baseUrl() + STALL_PATH)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(stalled.body()).isEqualTo("stalled");
      waitForProbes(lag, lag.count() + 10);

      assertThat(lag.max(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(STALL_MS * 0.8);
      assertThat(gw.get("/metrics", gw.adminToken()).body())
          .containsPattern("keyhold_event_loop_lag_seconds\\{quantile=\"0.99\"} [0-9.]+")
          .contains("keyhold_event_loop_lag_seconds_max");
    }
  }

  /** Waits (bounded) until the probes have fired {@code count} times in all. */
  private static void waitForProbes(Timer lag, long count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (lag.count() < count && System.nanoTime() < deadline) {
      Thread.sleep(EventLoopLag.PROBE_MS);
    }
    assertThat(lag.count()).as("probes fired").isGreaterThanOrEqualTo(count);
  }
}
