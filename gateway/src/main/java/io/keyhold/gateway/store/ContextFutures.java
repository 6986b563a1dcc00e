package io.keyhold.gateway.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Objects;

/**
 * Futures handed from one Vert.x context to another. A Vert.x future runs its callbacks on the context that
 * made it, so a future kept and shared (an adapter built once, files read once) pulls whoever composes on it
 * onto the event loop that made it: the next steps of every caller run there, one loop doing the work of all,
 * and a caller's own state is touched from a thread not its own. The gateway serves HTTP on every event loop,
 * so a shared future is handed out through {@link #onCaller}, and a worker that keeps state on its own context
 * takes the futures it did not make through {@link #on}.
 */
public final class ContextFutures {
  private ContextFutures() {}

  /**
   * {@code shared} with its callbacks run on the caller's context; unchanged when called off Vert.x (a test,
   * start-up), where there is no context to keep.
   */
  public static <T> Future<T> onCaller(Future<T> shared) {
    Context caller = Vertx.currentContext();
    return caller == null ? shared : on(caller, shared);
  }

  /** {@code future} with its callbacks run on {@code context}. */
  public static <T> Future<T> on(Context context, Future<T> future) {
    Objects.requireNonNull(context, "context");
    if (future.isComplete() && Vertx.currentContext() == context) {
      // A finished future made anew carries no context: its callbacks run at once, here.
      return future.succeeded() ? Future.succeededFuture(future.result()) : Future.failedFuture(future.cause());
    }
    return Future.fromCompletionStage(future.toCompletionStage(), context);
  }
}
