package io.keyhold.simulator.testing;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Runs asynchronous work on one event-loop context, as the simulator does, and waits for it from the test thread. */
public final class OnContext {
  private OnContext() {}

  public static <T> T await(Vertx vertx, Supplier<Future<T>> work, long timeoutSeconds) throws Exception {
    Promise<T> promise = Promise.promise();
    vertx.getOrCreateContext().runOnContext(ignored -> work.get().onComplete(promise));
    try {
      return promise.future().toCompletionStage().toCompletableFuture().get(timeoutSeconds, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
