package io.keyhold.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpConnection;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP connections the gateway's servers hold open, as the gauge {@link #GAUGE}. Counted once per connection,
 * not per request: Vert.x's own HTTP server meters, which also counted connections, are off since they cost every
 * request several meter updates (see {@link Gateway}), while {@code keyhold_api_answer_seconds} already times
 * every answer by operation and status.
 */
final class OpenConnections {
  static final String GAUGE = "keyhold.http.connections.open";

  private final AtomicInteger open = new AtomicInteger();

  OpenConnections(MeterRegistry meters) {
    Gauge.builder(GAUGE, open, AtomicInteger::get)
        .description("HTTP connections (HTTP/1.1, or HTTP/2 with its streams) the gateway's servers hold open")
        .register(meters);
  }

  /** Counts {@code connection} until it closes. */
  void track(HttpConnection connection) {
    open.incrementAndGet();
    connection.closeHandler(closed -> {
      int left = open.decrementAndGet();
      assert left >= 0 : "more connections closed than opened";
    });
  }
}
