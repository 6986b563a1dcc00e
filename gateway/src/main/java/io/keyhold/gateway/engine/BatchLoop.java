package io.keyhold.gateway.engine;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The loop every background worker of the engine runs (the sweeper, the payment poll, the reliability fold): one
 * pass at a time on its own context; a pass that took a full batch runs again at once, any other waits the
 * interval. Stopping cancels the next pass and waits for the one under way. All its state lives on its context.
 */
final class BatchLoop {
  private final Vertx vertx;
  private final Context context;
  private final Supplier<Future<Integer>> pass;
  private final int batchMax;
  private final long intervalMs;
  private final Handler<AsyncResult<Integer>> afterPass;
  private boolean stopping;
  private long timerId = -1;
  private Future<Integer> current = Future.succeededFuture(0);

  /**
   * @param pass one pass, answering how many items it took
   * @param batchMax a pass that took this many runs again at once
   * @param intervalMs the pause after any other pass
   * @param afterPass told how each pass ended (to log a failure), before the next is scheduled
   */
  BatchLoop(Vertx vertx, Supplier<Future<Integer>> pass, int batchMax, long intervalMs,
      Handler<AsyncResult<Integer>> afterPass) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.context = vertx.getOrCreateContext();
    this.pass = Objects.requireNonNull(pass, "pass");
    this.batchMax = batchMax;
    this.intervalMs = intervalMs;
    this.afterPass = Objects.requireNonNull(afterPass, "afterPass");
  }

  void start() {
    context.runOnContext(v -> tick());
  }

  /** Stops; completes when the pass under way has ended, or after {@code graceMs}. */
  Future<Void> stop(long graceMs) {
    Promise<Void> stopped = Promise.promise();
    context.runOnContext(v -> {
      stopping = true;
      if (timerId >= 0) {
        vertx.cancelTimer(timerId);
        timerId = -1;
      }
      current.timeout(Math.max(1, graceMs), TimeUnit.MILLISECONDS).onComplete(ignored -> stopped.complete());
    });
    return stopped.future();
  }

  private void tick() {
    if (stopping) {
      return;
    }
    current = pass.get();
    current.onComplete(done -> {
      afterPass.handle(done);
      if (stopping) {
        return;
      }
      boolean full = done.succeeded() && done.result() >= batchMax;
      timerId = vertx.setTimer(full ? 1 : intervalMs, id -> {
        timerId = -1;
        tick();
      });
    });
  }
}
