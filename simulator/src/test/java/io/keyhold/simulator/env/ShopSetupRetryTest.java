package io.keyhold.simulator.env;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.Profile;
import io.keyhold.simulator.SimulationConfig;
import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.client.GatewayClient;
import io.keyhold.simulator.testing.FakeGateway;
import io.keyhold.simulator.testing.OnContext;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Shop setup through a gateway that is restarting (nothing listening yet) or failing a request with a
 * 500: the setup asks again, as an operator's script would, instead of giving up on the run. The real
 * gateway cannot be made to refuse or fail on cue, so a fake one (a real HTTP server on 127.0.0.1) stands
 * in, answering the three setup calls as the gateway's /openapi.yaml says.
 */
class ShopSetupRetryTest {
  /** How long nothing listens: longer than the old client's whole retry budget (about 1.5 s). */
  private static final long DOWN_MS = 3_000;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static SimulationConfig config() {
    return SimulationConfig.builder(Profile.FLASH_SALE).stock(10).stockShops(1).httpShops(0).build();
  }

  /** Answers createMerchant, createSku and uploadStock; {@code failFirstUploads} uploads get a 500 first. */
  private static void answer(HttpServerRequest request, AtomicInteger uploads, int failFirstUploads) {
    String path = request.path();
    if (path.equals("/admin/v1/merchants")) {
      json(request, 201, new JsonObject().put("id", "mer_1").put("api_key", "khk_1"));
    } else if (path.equals("/v1/skus")) {
      json(request, 201, new JsonObject().put("id", "sku_1"));
    } else if (path.equals("/v1/skus/sku_1/stock")) {
      if (uploads.incrementAndGet() <= failFirstUploads) {
        request.response().setStatusCode(500).putHeader("Content-Type", "application/problem+json")
            .end(new JsonObject().put("status", 500).put("code", "internal_error").encode());
        return;
      }
      request.body().onSuccess(body -> json(request, 200,
          new JsonObject().put("accepted", body.toJsonObject().getJsonArray("keys").size())));
    } else {
      json(request, 404, new JsonObject().put("status", 404).put("code", "not_found"));
    }
  }

  private static void json(HttpServerRequest request, int status, JsonObject body) {
    request.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  @Test
  void retriesAConnectionRefusedDuringShopSetup() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    AtomicInteger uploads = new AtomicInteger();
    CompletableFuture<FakeGateway> late = CompletableFuture.supplyAsync(() -> {
      try {
        Thread.sleep(DOWN_MS);
        return FakeGateway.startOn(port, request -> answer(request, uploads, 0));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    GatewayClient client = GatewayClient.create(vertx, "http://127.0.0.1:" + port, "admin", 4, 5_000);
    try {
      List<Shop> shops = OnContext.await(vertx, () -> new ShopSetup(vertx, client, config(), new Books(), "t")
          .setUp(), 60);

      assertThat(shops).singleElement().satisfies(shop -> {
        assertThat(shop.merchantId()).isEqualTo("mer_1");
        assertThat(shop.skuId()).isEqualTo("sku_1");
        assertThat(shop.keys()).isEqualTo(10);
      });
      assertThat(late.get(10, TimeUnit.SECONDS).requests()).extracting(FakeGateway.Seen::uri)
          .containsExactly("/admin/v1/merchants", "/v1/skus", "/v1/skus/sku_1/stock");
      assertThat(client.answerCounts().get("createMerchant 0")).isPositive();
      assertThat(client.retryCounts().get("connection_refused")).isPositive();
    } finally {
      late.get(10, TimeUnit.SECONDS).close();
    }
  }

  @Test
  void retriesA500DuringShopSetupWithTheSameIdempotencyKey() throws Exception {
    AtomicInteger uploads = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> answer(request, uploads, 2))) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000);

      List<Shop> shops = OnContext.await(vertx, () -> new ShopSetup(vertx, client, config(), new Books(), "t")
          .setUp(), 60);

      assertThat(shops).singleElement().extracting(Shop::keys).isEqualTo(10);
      List<FakeGateway.Seen> sent = fake.requests();
      assertThat(sent).extracting(FakeGateway.Seen::idempotencyKey).doesNotContainNull();
      List<String> uploadKeys = sent.stream().filter(seen -> seen.uri().endsWith("/stock"))
          .map(FakeGateway.Seen::idempotencyKey).toList();
      assertThat(uploadKeys).hasSize(3).containsOnly(uploadKeys.get(0));
      assertThat(client.retryCounts()).containsEntry("status_500", 2L);
    }
  }
}
