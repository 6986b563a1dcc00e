package io.keyhold.gateway.adapters;

import static io.keyhold.gateway.testing.EventLoops.on;
import static io.keyhold.gateway.testing.EventLoops.threadOf;
import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.EventLoops;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Context;
import java.util.List;
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
    loops = EventLoops.two(gw.gateway().vertx());
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

    Thread answeredOn = await(on(loops.get(1),
        () -> adapters.adapterOf(merchantId).map(adapter -> Thread.currentThread())));

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
}
