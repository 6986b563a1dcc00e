package io.keyhold.gateway.engine;

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

  private final BatchLoop loop;

  PaymentPoll(Vertx vertx, Payments payments, EngineConfig config) {
    Objects.requireNonNull(payments, "payments");
    Objects.requireNonNull(config, "config");
    this.loop = new BatchLoop(vertx, () -> payments.pollOnce(config.paymentPollAfterMs()), Payments.POLL_BATCH_MAX,
        config.paymentPollIntervalMs(), polled -> {
          if (polled.failed()) {
            LOG.warn("a payment query poll failed: {}", polled.cause().toString());
          }
        });
  }

  public void start() {
    loop.start();
  }

  /** Stops polling; completes when the poll under way is done (or after {@code graceMs}). */
  public Future<Void> stop(long graceMs) {
    return loop.stop(graceMs);
  }
}
