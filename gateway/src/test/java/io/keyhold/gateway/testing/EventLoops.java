package io.keyhold.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Contexts on distinct event loops, for tests of which thread runs what once the gateway works on every
 * event loop.
 *
 * <pre>{@code
 * List<Context> loops = EventLoops.two(gw.gateway().vertx());
 * Thread ran = TestGateway.await(EventLoops.on(loops.get(1), () -> service.call().map(x -> Thread.currentThread())));
 * assertThat(ran).isEqualTo(EventLoops.threadOf(loops.get(1)));
 * }</pre>
 */
public final class EventLoops {
  private EventLoops() {}

  /** Two contexts of {@code vertx} on two event loops: Vert.x gives each instance of a deployment the next one. */
  public static List<Context> two(Vertx vertx) {
    List<Context> contexts = new CopyOnWriteArrayList<>();
    TestGateway.await(vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(2)));
    assertThat(threadOf(contexts.get(0))).isNotEqualTo(threadOf(contexts.get(1)));
    return List.copyOf(contexts);
  }

  /** Runs {@code call} on {@code context} and answers its outcome. */
  public static <T> Future<T> on(Context context, Supplier<Future<T>> call) {
    Promise<T> outcome = Promise.promise();
    context.runOnContext(ignored -> call.get().onComplete(outcome));
    return outcome.future();
  }

  /** The thread {@code context} runs on. */
  public static Thread threadOf(Context context) {
    return TestGateway.await(on(context, () -> Future.succeededFuture(Thread.currentThread())));
  }
}
