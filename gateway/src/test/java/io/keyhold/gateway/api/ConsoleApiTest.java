package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.store.ShortLivedCache;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API routes the consoles of issue 17 read and change through, usable with the key or token as well: the
 * operator's merchant list, suspension and fee; a shop's webhook deliveries and adapter health.
 */
class ConsoleApiTest {
  static TestGateway gw;
  static Purchases purchases;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    purchases = new Purchases(gw);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void anOperatorListsSuspendsReactivatesAndRepricesAMerchant() throws Exception {
    Purchases.Shop shop = purchases.stockShop(3, null);
    String name = gw.query("SELECT name FROM merchants WHERE id = $1", shop.merchant().id()).get(0).getString("name");
    TestGateway.Response found = gw.get("/admin/v1/merchants?q=" + name.substring(5).toUpperCase(), gw.adminToken());
    assertThat(found.status()).as("%s", found).isEqualTo(200);
    JsonArray items = found.json().getJsonArray("items");
    assertThat(items).hasSize(1);
    assertThat(items.getJsonObject(0).getString("id")).isEqualTo(shop.merchant().id());
    assertThat(items.getJsonObject(0).getString("status")).isEqualTo("active");
    assertThat(items.getJsonObject(0).containsKey("api_key")).isFalse();

    TestGateway.Response suspended = settings(shop, "{\"status\":\"suspended\"}");
    assertThat(suspended.status()).as("%s", suspended).isEqualTo(200);
    assertThat(suspended.json().getString("status")).isEqualTo("suspended");
    awaitStatus(shop, 401);
    assertThat(settings(shop, "{\"status\":\"active\"}").json().getString("status")).isEqualTo("active");
    awaitStatus(shop, 200);

    TestGateway.Response repriced = settings(shop, "{\"fee_basis_points\":750}");
    assertThat(repriced.json().getInteger("fee_basis_points")).isEqualTo(750);
    Purchases.Purchase after = purchases.checkout(shop, 1);
    assertThat(gw.get("/v1/orders/" + after.orderId(), shop.merchant().apiKey()).json().getInteger("fee_basis_points"))
        .as("an order placed after the change").isEqualTo(750);

    assertThat(settings(shop, "{}").problemCode()).isEqualTo("validation_failed");
    assertThat(settings(shop, "{\"status\":\"closed\"}").problemCode()).isEqualTo("validation_failed");
    assertThat(gw.post("/admin/v1/merchants/mer_aaaaaaaaaaaaaaaaaaaaaaaa/settings", gw.adminToken(),
        "{\"status\":\"suspended\"}").status()).isEqualTo(404);
    assertThat(gw.post("/admin/v1/merchants/" + shop.merchant().id() + "/settings", shop.merchant().apiKey(),
        "{\"fee_basis_points\":0}").status()).as("a shop cannot set its own fee").isEqualTo(401);
  }

  @Test
  void aShopSeesItsWebhookDeliveriesWithTheirLastErrorAndItsAdapterHealth() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    TestGateway.Merchant merchant = gw.createMerchant("Webhook shop", 200, null,
        "http://127.0.0.1:" + closedPort + "/hooks");
    String skuId = gw.createSku(merchant);
    assertThat(gw.uploadKeys(merchant, skuId, java.util.List.of("HOOK-" + System.nanoTime())).status()).isEqualTo(201);
    Purchases.Purchase purchase = purchases.checkout(new Purchases.Shop(merchant, skuId, java.util.List.of()), 1);
    purchases.pay(purchase);

    JsonObject delivery = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (delivery == null && System.nanoTime() < deadline) {
      TestGateway.Response listed = gw.get("/v1/webhook-deliveries", merchant.apiKey());
      assertThat(listed.status()).as("%s", listed).isEqualTo(200);
      delivery = listed.json().getJsonArray("items").stream().map(JsonObject.class::cast)
          .filter(item -> purchase.orderId().equals(item.getString("order_id")) && item.getString("last_error") != null)
          .findFirst().orElse(null);
      Thread.sleep(100);
    }
    assertThat(delivery).as("a delivery to the closed port, with its error").isNotNull();
    assertThat(delivery.getInteger("attempts")).isPositive();
    assertThat(delivery.getString("state")).isIn("pending", "failed");
    assertThat(gw.get("/v1/webhook-deliveries?state=done", merchant.apiKey()).body()).doesNotContain(purchase.orderId());
    // A page after a cursor holds the deliveries older than it: this one after the next id, not after its own.
    long id = delivery.getLong("id");
    assertThat(deliveryIdsBefore(merchant, id + 1)).contains(id);
    assertThat(deliveryIdsBefore(merchant, id)).doesNotContain(id);
    assertThat(gw.get("/v1/webhook-deliveries?cursor=x", merchant.apiKey()).problemCode()).isEqualTo("validation_failed");

    TestGateway.Response health = gw.get("/v1/adapter-health", merchant.apiKey());
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().getString("merchant_id")).isEqualTo(merchant.id());
    assertThat(health.json().getJsonArray("components")).as("a stock shop calls no remote adapter").isEmpty();
  }

  private static TestGateway.Response settings(Purchases.Shop shop, String body) {
    return gw.post("/admin/v1/merchants/" + shop.merchant().id() + "/settings", gw.adminToken(), body);
  }

  /** The merchant's key answers {@code status} within the time a cached key may be reused, and a little more. */
  private static void awaitStatus(Purchases.Shop shop, int status) throws InterruptedException {
    long deadline = System.nanoTime() + ShortLivedCache.REUSE_MAX.plusSeconds(5).toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = gw.get("/v1/orders", shop.merchant().apiKey()).status();
      if (last == status) {
        return;
      }
      Thread.sleep(200);
    }
    assertThat(last).as("the merchant's key after the change").isEqualTo(status);
  }

  /** The ids of the merchant's first page of webhook deliveries older than {@code cursor}. */
  private static java.util.List<Long> deliveryIdsBefore(TestGateway.Merchant merchant, long cursor) {
    return gw.get("/v1/webhook-deliveries?cursor=" + cursor, merchant.apiKey()).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).map(item -> item.getLong("id")).toList();
  }
}
