package io.keyhold.gateway.engine;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks remote sites about payments whose notice never came: every {@link EngineConfig#paymentPollIntervalMs()},
 * one batch of payments started more than {@link EngineConfig#paymentPollAfterMs()} ago and not yet applied is
 * claimed ({@link Payments#pollOnce}) and each is asked about with its provider's query API; a payment found paid
 * is applied exactly like its notice. Runs on every instance; a payment is claimed by one at a time.
 */
public final class PaymentPoll {
  private static final Logger LOG = LoggerFactory.getLogger(PaymentPoll.class);

  private final Vertx vertx;
  private final Context context;
  private final Payments payments;
  private final EngineConfig config;
  private boolean stopping;
  private long timerId = -1;
  private Future<Integer> current = Future.succeededFuture(0);

  PaymentPoll(Vertx vertx, Payments payments, EngineConfig config) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.context = vertx.getOrCreateContext();
    this.payments = Objects.requireNonNull(payments, "payments");
    this.config = Objects.requireNonNull(config, "config");
  }

  public void start() {
    context.runOnContext(v -> tick());
  }

  /** Stops polling; completes when the poll under way is done. */
  public Future<Void> stop() {
    return Future.future(stopped -> context.runOnContext(v -> {
      stopping = true;
      if (timerId >= 0) {
        vertx.cancelTimer(timerId);
        timerId = -1;
      }
      current.onComplete(ignored -> stopped.complete());
    }));
  }

  private void tick() {
    if (stopping) {
      return;
    }
    current = payments.pollOnce(config.paymentPollAfterMs());
    current.onComplete(polled -> {
      if (polled.failed()) {
        LOG.warn("a payment query poll failed: {}", polled.cause().toString());
      }
      if (stopping) {
        return;
      }
      boolean full = polled.succeeded() && polled.result() >= Payments.POLL_BATCH_MAX;
      timerId = vertx.setTimer(full ? 1 : config.paymentPollIntervalMs(), id -> {
        timerId = -1;
        tick();
      });
    });
  }
}
