package io.keyhold.gateway.adapters;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The adapters {@link MerchantAdapters} keeps are handed to callers on every event loop: each
 * caller goes on on its own event loop, never on the one that happened to build the adapter first (which
 * would make that loop run every checkout of the merchant, and touch the caller's state from its thread).
 */
class MerchantAdaptersContextTest {
  static TestGateway gw;
  static List<Context> loops;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    loops = contextsOnTwoEventLoops(gw.gateway().vertx());
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void answersACallerOnItsOwnEventLoopWhenAnotherBuiltTheAdapter() {
    MerchantAdapters adapters = gw.gateway().engine().adapters();
    String merchantId = gw.createMerchant("Built elsewhere").id();
    await(on(loops.get(0), () -> adapters.adapterOf(merchantId)));

    Thread answeredOn = await(on(loops.get(1), () -> adapters.adapterOf(merchantId).map(adapter -> Thread.currentThread())));

    assertThat(answeredOn).isEqualTo(threadOf(loops.get(1)));
  }

  @Test
  void answersACallerOnItsOwnEventLoopWhileAnotherStillBuildsTheAdapter() {
    MerchantAdapters adapters = gw.gateway().engine().adapters();
    String merchantId = gw.createMerchant("Being built").id();

    Thread answeredOn = await(on(loops.get(0), () -> {
      adapters.adapterOf(merchantId);
      return on(loops.get(1), () -> adapters.adapterOf(merchantId).map(adapter -> Thread.currentThread()));
    }));

    assertThat(answeredOn).isEqualTo(threadOf(loops.get(1)));
  }

  /** Runs {@code call} on {@code context} and answers its outcome. */
  private static <T> Future<T> on(Context context, Supplier<Future<T>> call) {
    Promise<T> outcome = Promise.promise();
    context.runOnContext(ignored -> call.get().onComplete(outcome));
    return outcome.future();
  }

  private static Thread threadOf(Context context) {
    return await(on(context, () -> Future.succeededFuture(Thread.currentThread())));
  }

  /** Two contexts on two event loops: Vert.x gives each instance of a deployment the next event loop. */
  private static List<Context> contextsOnTwoEventLoops(Vertx vertx) {
    List<Context> contexts = new CopyOnWriteArrayList<>();
    await(vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(2)));
    assertThat(threadOf(contexts.get(0))).isNotEqualTo(threadOf(contexts.get(1)));
    return contexts;
  }
}
