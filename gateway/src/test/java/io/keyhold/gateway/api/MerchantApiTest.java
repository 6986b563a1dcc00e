package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.store.ShortLivedCache;
import io.keyhold.gateway.testing.TestGateway.Merchant;
import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator creates merchants; merchants authenticate (a key revoked in the database is refused soon after)
 * and see only their own SKUs and stock.
 */
class MerchantApiTest {
  private static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void adminCreatesMerchantAndTheApiKeyWorksOnceShown() {
    Response created = gw.post("/admin/v1/merchants", gw.adminToken(), new JsonObject()
        .put("name", "Moon Cards").put("webhook_url", "https://1.1.1.1/hooks").put("fee_basis_points", 150)
        .put("adapter", new JsonObject().put("type", "http").put("config", new JsonObject()
            .put("base_url", "https://1.1.1.1/keyhold").put("signing_secret", "shh-adapter-signing-secret")))
        .encode());

    assertThat(created.status()).isEqualTo(201);
    JsonObject merchant = created.json();
    assertThat(merchant.getString("id")).matches("mer_[a-z2-7]{24}");
    assertThat(merchant.getString("api_key")).startsWith("khk_");
    assertThat(merchant.getString("webhook_secret")).startsWith("khw_");
    assertThat(merchant.getInteger("fee_basis_points")).isEqualTo(150);
    assertThat(merchant.getJsonObject("adapter").getString("type")).isEqualTo("http");

    Response sku = gw.post("/v1/skus", merchant.getString("api_key"),
        new JsonObject().put("name", "Card").put("price", 500).put("currency", "USD").encode());
    assertThat(sku.status()).isEqualTo(201);

    // Shown once: the database holds a hash of the key and sealed secrets, never the clear text.
    String everything = gw.query("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM merchants) t").get(0).getString(0)
        + gw.query("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM api_keys) t").get(0).getString(0);
    assertThat(everything).doesNotContain(merchant.getString("api_key")).doesNotContain(merchant.getString("webhook_secret"))
        .doesNotContain("shh-adapter");
    assertThat(TestGateway.await(gw.gateway().merchants().webhookSecret(merchant.getString("id"))))
        .isEqualTo(merchant.getString("webhook_secret"));
  }

  @Test
  void wrongOrMissingTokensAreRefusedWithProblem401() {
    Merchant merchant = gw.createMerchant("Token Shop");
    String body = new JsonObject().put("name", "X").put("fee_basis_points", 1).encode();
    String skuBody = new JsonObject().put("name", "X").put("price", 1).put("currency", "USD").encode();

    List<Response> refused = List.of(
        gw.post("/admin/v1/merchants", null, body),
        gw.post("/admin/v1/merchants", "wrong-token-wrong-token", body),
        gw.post("/admin/v1/merchants", merchant.apiKey(), body),
        gw.post("/v1/skus", null, skuBody),
        gw.post("/v1/skus", gw.adminToken(), skuBody),
        gw.post("/v1/skus", merchant.apiKey() + "x", skuBody),
        gw.post("/v1/skus", "khk_" + "A".repeat(43), skuBody),
        gw.send("POST", "/v1/skus", null, skuBody, "Content-Type", "application/json", "Authorization", "Basic abc"),
        gw.get("/v1/skus/sku_" + "a".repeat(24), "khk_nope"));

    for (Response response : refused) {
      assertThat(response.status()).as(response.toString()).isEqualTo(401);
      assertThat(response.contentType()).isEqualTo("application/problem+json");
      assertThat(response.problemCode()).isEqualTo("unauthenticated");
      assertThat(response.headers().get("www-authenticate")).isEqualTo("Bearer");
    }
  }

  @Test
  void merchantGets404OnAnotherMerchantsSkuAndStock() {
    Merchant a = gw.createMerchant("Shop A");
    Merchant b = gw.createMerchant("Shop B");
    String skuOfB = gw.createSku(b);
    long keysBefore = gw.rowCounts().get("stock_keys");

    List<Response> answers = List.of(
        gw.get("/v1/skus/" + skuOfB, a.apiKey()),
        gw.get("/v1/skus/" + skuOfB + "/stock", a.apiKey()),
        gw.uploadKeys(a, skuOfB, List.of("STOLEN-SLOT-0001")));

    for (Response response : answers) {
      assertThat(response.status()).as(response.toString()).isEqualTo(404);
      assertThat(response.problemCode()).isEqualTo("not_found");
      assertThat(response.body()).doesNotContain(b.id());
    }
    assertThat(gw.rowCounts().get("stock_keys")).isEqualTo(keysBefore);
    assertThat(gw.get("/v1/skus/" + skuOfB, b.apiKey()).status()).isEqualTo(200);
  }

  @Test
  void createdSkuIsReadBackWithPolicyValidatorsAndStock() {
    Merchant merchant = gw.createMerchant("Catalog Shop");
    Response created = gw.post("/v1/skus", merchant.apiKey(), new JsonObject()
        .put("name", "Steam 50").put("price", 5_000).put("currency", "EUR")
        .put("policy", new JsonObject().put("deliver_within_seconds", 120).put("max_resupply_attempts", 1)
            .put("unknown_verdict_policy", "refund").put("late_payment_policy", "refund"))
        .put("validators", List.of(new JsonObject().put("type", "format").put("pattern", "^[A-Z0-9]{15}$")
            .put("checksum", "luhn"), new JsonObject().put("type", "http").put("url", "https://1.1.1.1/issuer")
            .put("signing_secret", "issuer-signing-secret-0123")))
        .encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String id = created.json().getString("id");
    assertThat(created.headers().get("location")).isEqualTo("/v1/skus/" + id);

    JsonObject sku = gw.get("/v1/skus/" + id, merchant.apiKey()).json();

    assertThat(sku.getLong("price")).isEqualTo(5_000);
    assertThat(sku.getString("currency")).isEqualTo("EUR");
    assertThat(sku.getJsonObject("policy").getInteger("deliver_within_seconds")).isEqualTo(120);
    assertThat(sku.getJsonObject("policy").getInteger("max_resupply_attempts")).isEqualTo(1);
    assertThat(sku.getJsonObject("policy").getInteger("pay_within_seconds")).isEqualTo(900);
    assertThat(sku.getJsonObject("policy").getString("unknown_verdict_policy")).isEqualTo("refund");
    assertThat(sku.getJsonObject("policy").getString("late_payment_policy")).isEqualTo("refund");
    io.vertx.sqlclient.Row stored = gw.query(
        "SELECT unknown_verdict_policy, late_payment_policy FROM skus WHERE id = $1", id).get(0);
    assertThat(stored.getString("unknown_verdict_policy")).as("what checkouts read").isEqualTo("refund");
    assertThat(stored.getString("late_payment_policy")).as("what checkouts read").isEqualTo("refund");
    assertThat(sku.getJsonArray("validators")).hasSize(2);
    assertThat(sku.getJsonObject("stock").getLong("available")).isZero();
  }

  @Test
  void refusesAKeyRevokedInTheDatabaseWithinItsReuseTime() throws Exception {
    Merchant merchant = gw.createMerchant("Revoked Shop");
    assertThat(gw.get("/v1/orders", merchant.apiKey()).status()).as("the key works, and is now kept").isEqualTo(200);
    assertThat(gw.get("/v1/orders", "khk_" + "x".repeat(40)).status()).as("an unknown key").isEqualTo(401);

    gw.query("UPDATE api_keys SET revoked_at = now() WHERE merchant_id = $1", merchant.id());
    long revokedAt = System.nanoTime();
    int status = 200;
    long giveUp = revokedAt + ShortLivedCache.REUSE_MAX.plusSeconds(5).toNanos();
    while (status == 200 && System.nanoTime() < giveUp) {
      Thread.sleep(100);
      status = gw.get("/v1/orders", merchant.apiKey()).status();
    }
    long tookMs = (System.nanoTime() - revokedAt) / 1_000_000;

    assertThat(status).as("the revoked key").isEqualTo(401);
    // The kept key may outlive the revocation by at most the reuse time (plus the polling step).
    assertThat(tookMs).isLessThanOrEqualTo(ShortLivedCache.REUSE_MAX.toMillis() + 1_000);
  }
}
