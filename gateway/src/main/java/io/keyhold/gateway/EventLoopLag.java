package io.keyhold.gateway;

import io.keyhold.gateway.api.Endpoints;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * How late an HTTP server's event loop runs what is due on it: a timer due every {@link #PROBE_MS} on the loop,
 * and how long after its due time each firing came. A request that arrives while its loop is this late waits
 * about as long before any handler reads it, a wait {@link Endpoints#ANSWER_TIMER} cannot show, since it starts
 * at the first handler. A checkout slow as the shop sees it but quick in the answer timer was waiting here, or, when
 * this is low, on the shop's side: in its connection queue, or for a core of its own.
 *
 * <p>One per {@link HttpServerVerticle}, on its event loop; all record into one {@link #LAG_TIMER}. Vert.x fires a
 * periodic timer at a fixed rate, so a loop held up for several periods fires the missed ones at once: each is
 * measured against its own due time, as a request waiting through the same stall would be.
 */
final class EventLoopLag {
  /** The lag of the HTTP servers' event loops; its p50 and p99 cover the same window as the answer timer's. */
  static final String LAG_TIMER = "keyhold.event.loop.lag";
  /** How often each loop is probed: often enough for a p99 over a short spike, rare enough to cost nothing. */
  static final long PROBE_MS = 20;

  private final Vertx vertx;
  private final Timer lag;
  private long timerId = -1;
  private long startedAtNs;
  private long firings;

  EventLoopLag(Vertx vertx, MeterRegistry meters) {
    this.vertx = vertx;
    this.lag = Timer.builder(LAG_TIMER)
        .description("How late the HTTP servers' event loops ran a timer due on them")
        .publishPercentiles(0.5, 0.99).distributionStatisticExpiry(Endpoints.ANSWER_PERCENTILES_WINDOW)
        .register(meters);
  }

  /** Starts probing the calling verticle's event loop. */
  void start() {
    assert timerId < 0 : "started twice";
    startedAtNs = System.nanoTime();
    firings = 0;
    timerId = vertx.setPeriodic(PROBE_MS, id -> fired());
  }

  void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  private void fired() {
    firings++;
    long dueAtNs = startedAtNs + TimeUnit.MILLISECONDS.toNanos(PROBE_MS * firings);
    lag.record(Math.max(0, System.nanoTime() - dueAtNs), TimeUnit.NANOSECONDS);
  }
}
