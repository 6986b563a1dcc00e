package io.keyhold.gateway.api.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.ShiftableClock;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Console sessions over HTTP (issue 17): a cookie in place of the key on the same routes, scoped to its merchant,
 * refused for changes without the session's CSRF token, ended by time and by sign-out, and never made from a wrong
 * key.
 */
class ConsoleSessionsTest {
  static final long IDLE_SECONDS = 600;
  static final long MAX_SECONDS = 1800;
  static final Pattern SHOP_COOKIE = Pattern.compile("^keyhold_shop=([^;]*);");
  static final Pattern OPS_COOKIE = Pattern.compile("^keyhold_ops=([^;]*);");

  static ShiftableClock clock;
  static TestGateway gw;
  static Purchases purchases;

  @BeforeAll
  static void start() throws Exception {
    clock = new ShiftableClock();
    gw = TestGateway.start(config -> config.clock(clock).consoleSessions(IDLE_SECONDS, MAX_SECONDS));
    purchases = new Purchases(gw);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  /** A signed-in console: the cookie the browser would hold and the CSRF token the page keeps in memory. */
  record Signed(String cookie, String csrf, JsonObject json) {
    String[] headers() {
      return new String[] {"Cookie", cookie, "X-Keyhold-CSRF", csrf};
    }
  }

  static Signed signIn(String apiKey) {
    TestGateway.Response response = gw.post("/console/session", null, new JsonObject().put("api_key", apiKey).encode());
    assertThat(response.status()).as("%s", response).isEqualTo(201);
    Matcher cookie = SHOP_COOKIE.matcher(response.headers().get("set-cookie"));
    assertThat(cookie.find()).as(response.headers().get("set-cookie")).isTrue();
    return new Signed("keyhold_shop=" + cookie.group(1), response.json().getString("csrf_token"), response.json());
  }

  static Signed signInOps() {
    TestGateway.Response response = gw.post("/ops/session", null,
        new JsonObject().put("admin_token", gw.adminToken()).encode());
    assertThat(response.status()).as("%s", response).isEqualTo(201);
    Matcher cookie = OPS_COOKIE.matcher(response.headers().get("set-cookie"));
    assertThat(cookie.find()).isTrue();
    return new Signed("keyhold_ops=" + cookie.group(1), response.json().getString("csrf_token"), response.json());
  }

  static TestGateway.Response get(String path, Signed session) {
    return gw.send("GET", path, null, null, "Cookie", session.cookie());
  }

  @Test
  void signingInSetsAnHttpOnlyStrictCookieAndAnswersWhoAndTheCsrfToken() {
    TestGateway.Merchant shop = gw.createMerchant("Cookie shop");
    TestGateway.Response response = gw.post("/console/session", null,
        new JsonObject().put("api_key", shop.apiKey()).encode());

    assertThat(response.status()).isEqualTo(201);
    String cookie = response.headers().get("set-cookie");
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/")
        .contains("Max-Age=" + MAX_SECONDS)
        .as("plain HTTP to a gateway without an https public URL: no Secure, no __Host-")
        .doesNotContain("Secure").doesNotContain("__Host-")
        .doesNotContain(shop.apiKey());
    assertThat(response.json().getString("kind")).isEqualTo("merchant");
    assertThat(response.json().getString("merchant_id")).isEqualTo(shop.id());
    assertThat(response.json().getString("csrf_token")).startsWith("khx_");
    assertThat(response.body()).doesNotContain(shop.apiKey());
    Signed signed = signIn(shop.apiKey());
    assertThat(gw.query("SELECT count(*) AS n FROM console_sessions WHERE merchant_id = $1", shop.id())
        .get(0).getLong("n")).isEqualTo(2);
    assertThat(gw.query("SELECT count(*) AS n FROM console_sessions WHERE id_hash = sha256(convert_to($1, 'UTF8'))",
        signed.cookie().substring("keyhold_shop=".length())).get(0).getLong("n"))
        .as("the session id's SHA-256 is stored, and nothing else of it").isOne();
    TestGateway.Response again = get("/console/session", signed);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().getString("csrf_token")).isEqualTo(signed.csrf());
  }

  @Test
  void aMerchantsSessionNeverShowsAnotherMerchantsData() {
    Purchases.Shop a = purchases.stockShop(3, null);
    Purchases.Shop b = purchases.stockShop(3, null);
    Purchases.Purchase ofA = purchases.checkout(a, 1);
    Purchases.Purchase ofB = purchases.checkout(b, 1);
    Signed sessionA = signIn(a.merchant().apiKey());

    // Every console read, asked with A's cookie for B's objects, finds nothing.
    for (String path : List.of("/v1/skus/" + b.skuId(), "/v1/skus/" + b.skuId() + "/stock",
        "/v1/orders/" + ofB.orderId())) {
      TestGateway.Response response = get(path, sessionA);
      assertThat(response.status()).as("%s with merchant A's cookie: %s", path, response).isEqualTo(404);
      assertThat(response.body()).doesNotContain(b.merchant().id());
    }
    // Lists name only A's own.
    TestGateway.Response orders = get("/v1/orders", sessionA);
    assertThat(orders.status()).isEqualTo(200);
    assertThat(orders.body()).contains(ofA.orderId()).doesNotContain(ofB.orderId()).doesNotContain(b.merchant().id());
    TestGateway.Response skus = get("/v1/skus", sessionA);
    assertThat(skus.status()).as("%s", skus).isEqualTo(200);
    assertThat(skus.body()).contains(a.skuId()).doesNotContain(b.skuId());
    TestGateway.Response deposit = get("/v1/deposit", sessionA);
    assertThat(deposit.status()).as("%s", deposit).isEqualTo(200);
    assertThat(deposit.body()).doesNotContain(b.merchant().id());
    for (String path : List.of("/v1/webhook-deliveries", "/v1/adapter-health")) {
      TestGateway.Response response = get(path, sessionA);
      assertThat(response.status()).as("%s: %s", path, response).isEqualTo(200);
      assertThat(response.body()).doesNotContain(b.merchant().id()).doesNotContain(ofB.orderId());
    }
    assertThat(get("/console/session", sessionA).json().getString("merchant_id")).isEqualTo(a.merchant().id());
    // A's cookie on B's SKU, with the right CSRF token: 404 and nothing stored.
    long before = stockKeys(b.skuId());
    TestGateway.Response upload = gw.post("/v1/skus/" + b.skuId() + "/stock", null,
        new JsonObject().put("keys", List.of("CROSS-MERCHANT-1")).encode(), sessionA.headers());
    assertThat(upload.status()).as("%s", upload).isEqualTo(404);
    assertThat(stockKeys(b.skuId())).isEqualTo(before);
    // A shop's cookie is no operator credential, and an operator's cookie no shop's.
    assertThat(get("/admin/v1/audit", sessionA).status()).isEqualTo(401);
    assertThat(get("/admin/v1/disputes", sessionA).status()).isEqualTo(401);
    Signed ops = signInOps();
    assertThat(get("/v1/orders", ops).status()).isEqualTo(401);
    assertThat(get("/admin/v1/audit", ops).status()).isEqualTo(200);
    TestGateway.Response asShop = gw.send("GET", "/admin/v1/audit", null, null, "Cookie",
        sessionA.cookie().replace("keyhold_shop=", "keyhold_ops="));
    assertThat(asShop.status()).as("a shop session id under the operator cookie's name").isEqualTo(401);
  }

  @Test
  void aChangeWithoutTheCsrfHeaderIsRefusedAndNothingIsStored() {
    TestGateway.Merchant shop = gw.createMerchant("CSRF shop");
    Signed signed = signIn(shop.apiKey());
    String sku = new JsonObject().put("name", "Card").put("price", 1000).put("currency", "CNY").encode();

    TestGateway.Response without = gw.post("/v1/skus", null, sku, "Cookie", signed.cookie());
    TestGateway.Response wrong = gw.post("/v1/skus", null, sku, "Cookie", signed.cookie(),
        "X-Keyhold-CSRF", signed.csrf() + "x");
    Signed other = signIn(shop.apiKey());
    TestGateway.Response another = gw.post("/v1/skus", null, sku, "Cookie", signed.cookie(),
        "X-Keyhold-CSRF", other.csrf());

    for (TestGateway.Response refused : List.of(without, wrong, another)) {
      assertThat(refused.status()).as("%s", refused).isEqualTo(403);
      assertThat(refused.contentType()).isEqualTo("application/problem+json");
      assertThat(refused.problemCode()).isEqualTo("csrf_token_invalid");
    }
    assertThat(skus(shop.id())).isZero();
    TestGateway.Response signOut = gw.post("/console/session/end", null, "{}", "Cookie", signed.cookie());
    assertThat(signOut.problemCode()).as("sign-out is a change too").isEqualTo("csrf_token_invalid");

    TestGateway.Response made = gw.post("/v1/skus", null, sku, signed.headers());
    assertThat(made.status()).as("%s", made).isEqualTo(201);
    assertThat(skus(shop.id())).isOne();
    // The bearer key needs no CSRF token: a script holding the key is no browser riding a cookie.
    assertThat(gw.post("/v1/skus", shop.apiKey(), sku).status()).isEqualTo(201);
  }

  @Test
  void anExpiredSessionIsRefused() {
    TestGateway.Merchant shop = gw.createMerchant("Expiry shop");
    Signed idle = signIn(shop.apiKey());
    Signed busy = signIn(shop.apiKey());
    assertThat(get("/v1/orders", idle).status()).isEqualTo(200);

    // Used every 500 s, the busy session outlives the idle limit; the idle one does not.
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(IDLE_SECONDS - 100));
      assertThat(get("/v1/orders", busy).status()).as("busy session after %d steps", i + 1).isEqualTo(200);
    }
    TestGateway.Response idled = get("/v1/orders", idle);
    assertThat(idled.status()).isEqualTo(401);
    assertThat(idled.problemCode()).isEqualTo("unauthenticated");
    // ... until its absolute end, however busy.
    clock.advance(Duration.ofSeconds(MAX_SECONDS - 3 * (IDLE_SECONDS - 100)));
    TestGateway.Response ended = get("/v1/orders", busy);
    assertThat(ended.status()).as("%s", ended).isEqualTo(401);
    assertThat(get("/console/session", busy).status()).isEqualTo(401);
  }

  @Test
  void signOutEndsTheSession() {
    TestGateway.Merchant shop = gw.createMerchant("Sign-out shop");
    Signed signed = signIn(shop.apiKey());
    Signed ops = signInOps();

    TestGateway.Response out = gw.post("/console/session/end", null, "{}", signed.headers());
    assertThat(out.status()).as("%s", out).isEqualTo(200);
    assertThat(out.headers().get("set-cookie")).startsWith("keyhold_shop=;").contains("Max-Age=0");
    assertThat(get("/v1/orders", signed).status()).isEqualTo(401);
    assertThat(gw.query("SELECT count(*) AS n FROM console_sessions WHERE merchant_id = $1", shop.id())
        .get(0).getLong("n")).isZero();

    TestGateway.Response opsOut = gw.post("/ops/session/end", null, "{}", ops.headers());
    assertThat(opsOut.status()).isEqualTo(200);
    assertThat(get("/admin/v1/audit", ops).status()).isEqualTo(401);
  }

  @Test
  void aWrongKeySignsNobodyInAndIsNotLogged() {
    TestGateway.Merchant shop = gw.createMerchant("Wrong-key shop");
    String wrongKey = shop.apiKey().substring(0, shop.apiKey().length() - 4) + "AAAA";
    String wrongToken = gw.adminToken() + "-not";
    try (CapturedLogs logs = CapturedLogs.start()) {
      TestGateway.Response shopRefused = gw.post("/console/session", null,
          new JsonObject().put("api_key", wrongKey).encode());
      TestGateway.Response opsRefused = gw.post("/ops/session", null,
          new JsonObject().put("admin_token", wrongToken).encode());
      TestGateway.Response shopKeyAsOps = gw.post("/ops/session", null,
          new JsonObject().put("admin_token", shop.apiKey()).encode());
      TestGateway.Response adminAsShop = gw.post("/console/session", null,
          new JsonObject().put("api_key", gw.adminToken()).encode());

      for (TestGateway.Response refused : List.of(shopRefused, opsRefused, shopKeyAsOps, adminAsShop)) {
        assertThat(refused.status()).as("%s", refused).isEqualTo(401);
        assertThat(refused.problemCode()).isEqualTo("unauthenticated");
        assertThat(refused.headers()).doesNotContainKey("set-cookie");
        assertThat(refused.body()).doesNotContain(wrongKey).doesNotContain(wrongToken).doesNotContain(shop.apiKey());
      }
      signIn(shop.apiKey());
      assertThat(logs.messages()).noneMatch(line -> line.contains(wrongKey) || line.contains(wrongToken)
          || line.contains(shop.apiKey()) || line.contains(gw.adminToken()));
    }
    assertThat(gw.query("SELECT count(*) AS n FROM console_sessions WHERE merchant_id = $1", shop.id())
        .get(0).getLong("n")).isOne();
  }

  private static long stockKeys(String skuId) {
    return gw.query("SELECT count(*) AS n FROM stock_keys WHERE sku_id = $1", skuId).get(0).getLong("n");
  }

  private static long skus(String merchantId) {
    return gw.query("SELECT count(*) AS n FROM skus WHERE merchant_id = $1", merchantId).get(0).getLong("n");
  }
}
