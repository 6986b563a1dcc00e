package io.keyhold.gateway.engine;

import io.keyhold.gateway.store.Instances;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this instance alive in {@link Instances} and hands back the claims of instances that died: every
 * {@link EngineConfig#instanceBeatMs()} it beats, then reaps the instances silent for longer than
 * {@link EngineConfig#instanceLeaseMs()}. Work a killed instance had claimed is therefore taken over at
 * most lease + one beat after its death.
 *
 * <p>After a failed beat (the database was away) it does not reap at the next one: the other instances
 * were cut off too and get one beat to come back before they are taken for dead.
 */
final class Heartbeat {
  private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);

  private final Vertx vertx;
  private final Context context;
  private final Instances instances;
  private final Clock clock;
  private final EngineConfig config;
  private final Counter reapedInstances;
  private boolean stopping;
  private boolean lastBeatFailed = true;
  private boolean registered;
  private long timerId = -1;
  private Future<Void> current = Future.succeededFuture();

  Heartbeat(Vertx vertx, Instances instances, Clock clock, EngineConfig config, MeterRegistry meters) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.context = vertx.getOrCreateContext();
    this.instances = Objects.requireNonNull(instances, "instances");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.config = Objects.requireNonNull(config, "config");
    this.reapedInstances = Counter.builder("keyhold.instances.reaped")
        .description("Gateway instances taken for dead and their claims handed back").register(meters);
  }

  /** Registers this instance (the first beat) and keeps beating. */
  Future<Void> start() {
    Promise<Void> first = Promise.promise();
    context.runOnContext(v -> beatOnce().onComplete(done -> {
      first.complete();
      schedule();
    }));
    return first.future();
  }

  /** Stops beating and removes this instance's row (within {@code graceMs}); its claims are settled by then. */
  Future<Void> stop(long graceMs) {
    Promise<Void> stopped = Promise.promise();
    context.runOnContext(v -> {
      stopping = true;
      if (timerId >= 0) {
        vertx.cancelTimer(timerId);
        timerId = -1;
      }
      current.transform(ignored -> instances.leave())
          .timeout(Math.max(1, graceMs), TimeUnit.MILLISECONDS)
          .onComplete(left -> {
            if (left.failed()) {
              LOG.warn("instance {} could not sign off ({}); others take it for dead after {} ms", instances.self(),
                  left.cause().toString(), config.instanceLeaseMs());
            }
            stopped.complete();
          });
    });
    return stopped.future();
  }

  private void schedule() {
    if (stopping) {
      return;
    }
    timerId = vertx.setTimer(config.instanceBeatMs(), id -> {
      timerId = -1;
      current = beatOnce();
      current.onComplete(done -> schedule());
    });
  }

  /** One beat and, unless the previous beat failed, one reap. Never fails. */
  Future<Void> beatOnce() {
    boolean reap = !lastBeatFailed;
    return instances.beat()
        .compose(created -> {
          if (created && registered) {
            LOG.warn("instance {} was taken for dead (silent for over {} ms) and its claims were handed over;"
                + " it goes on under the same id", instances.self(), config.instanceLeaseMs());
          }
          registered = true;
          lastBeatFailed = false;
          return reap ? instances.reap(config.instanceLeaseMs(), clock.instant()) : Future.succeededFuture(
              Instances.Reaped.NONE);
        })
        .onSuccess(reaped -> {
          if (reaped.any()) {
            reapedInstances.increment(reaped.instances());
            LOG.info("{} silent gateway instance(s) taken for dead; handed back {} outbox rows, {} Idempotency-Keys,"
                + " {} payment claims", reaped.instances(), reaped.outboxRows(), reaped.requestKeys(),
                reaped.payments());
          }
        })
        .onFailure(failure -> {
          if (!lastBeatFailed) {
            LOG.warn("instance {} could not beat: {}", instances.self(), failure.toString());
          }
          lastBeatFailed = true;
        })
        .<Void>mapEmpty()
        .recover(failure -> Future.succeededFuture());
  }
}
