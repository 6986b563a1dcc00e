package io.keyhold.simulator.env;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.FaultMix;
import io.keyhold.simulator.Profile;
import io.keyhold.simulator.SimulationConfig;
import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.client.GatewayClient;
import io.keyhold.simulator.testing.OnContext;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Shops set up through the real gateway's operator and merchant API (a gateway started in-process on
 * an embedded PostgreSQL, the simulator talking HTTP to it), and a real reference merchant.
 */
class ShopSetupTest {
  private static EmbeddedGateway gateway;
  private static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    gateway = EmbeddedGateway.start(null, System.getenv("KEYHOLD_TEST_PG_URL"), 4, false);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (gateway != null) {
      gateway.stop();
    }
  }

  @Test
  void stockAndRemoteShopsAreSetUpAndAKeyUploadedTwiceIsRefused() throws Exception {
    SimulationConfig config = SimulationConfig.builder(Profile.BAD_KEYS).stock(1_205).stockShops(2).httpShops(1)
        .faults(new FaultMix(0.2, 0.1, 0, 3, 0, 0, 0, -1)).build();
    GatewayClient client = GatewayClient.create(vertx, gateway.baseUrl(), gateway.adminToken(), 4, 10_000);
    Books books = new Books();

    List<Shop> shops = OnContext.await(vertx, () -> new ShopSetup(vertx, client, config, books, "test").setUp(), 120);

    try {
      assertThat(shops).extracting(Shop::kind).containsExactly(Shop.STOCK, Shop.STOCK, Shop.HTTP);
      assertThat(shops).allSatisfy(shop -> {
        assertThat(shop.merchantId()).startsWith("mer_");
        assertThat(shop.skuId()).startsWith("sku_");
        assertThat(shop.toString()).doesNotContain(shop.apiKey());
      });
      // 1,205 keys over three shops: 402, 402, 401; a fifth of the uploaded ones are bad.
      assertThat(shops.get(0).keys()).isBetween(250, 400);
      assertThat(shops.get(2).keys()).isEqualTo(401);
      assertThat(shops.get(2).remote()).isNotNull();
      assertThat(books.stockBySku()).hasSize(3);
      assertThat(books.refusedDuplicateUploads()).isEqualTo(3);
      assertThat(books.audit(java.time.Duration.ZERO)).isEmpty();

      JsonObject stock = OnContext.await(vertx, () -> client.http()
          .request(HttpMethod.GET, gateway.gateway().port(), "127.0.0.1", "/v1/skus/" + shops.get(0).skuId() + "/stock")
          .compose(request -> request.putHeader("Authorization", "Bearer " + shops.get(0).apiKey()).send())
          .compose(response -> response.body().map(body -> body.toJsonObject())), 30);
      assertThat(stock.getJsonObject("stock").getInteger("available")).isEqualTo(402);
    } finally {
      for (Shop shop : shops) {
        shop.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      client.close();
    }
  }
}
