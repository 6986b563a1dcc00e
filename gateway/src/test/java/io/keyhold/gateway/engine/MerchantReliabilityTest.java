package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.Gateway;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Merchants' reliability from real orders (issue 14): two gateways on one database both run the fold, the store's
 * clock moves deadlines, and the public endpoint and the operator's ranking are read over HTTP.
 */
class MerchantReliabilityTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  static Flows flows;
  static Gateway second;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
    second = Gateway.start(flows.gw.gateway().config().toBuilder().port(0).build());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      second.close();
    } finally {
      flows.close();
    }
  }

  @Test
  void theScoreCountsOnTimeAndLateDeliveriesInvalidKeysResuppliesAndRefunds() {
    // A punctual shop: 20 units delivered at once, valid, then released at the end of the hold.
    Flows.Merchant punctual = flows.stockMerchant("Punctual " + UUID.randomUUID());
    String punctualSku = flows.sku(punctual, Flows.shortPolicy(), Flows.formatValidator("^OK-.*$", "none"));
    flows.upload(punctual, punctualSku, keys("OK-", 20));
    List<String> punctualOrders = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Flows.Session session = flows.checkout(punctual, punctualSku, 5);
      flows.pay(session, 5);
      punctualOrders.add(session.orderId());
    }
    // A shop whose every key fails the check: 20 first keys on time, each replaced twice, then refunded.
    Flows.Merchant badKeys = flows.stockMerchant("Bad keys " + UUID.randomUUID());
    String badSku = flows.sku(badKeys, Flows.shortPolicy(), Flows.formatValidator("^OK-.*$", "none"));
    flows.upload(badKeys, badSku, keys("BAD-", 60));
    Flows.Session bad = flows.checkout(badKeys, badSku, 20);
    flows.pay(bad, 20);
    // A shop that takes the reservation and disappears: the delivery deadline passes, then the resupply window.
    Flows.HttpShop runaway = flows.httpShop("Runaway " + UUID.randomUUID(), 5, Flows.shortPolicy(), null);
    Flows.Session gone = flows.checkout(runaway.merchant(), runaway.skuId(), 1);
    TestGateway.await(runaway.shop().close());
    flows.pay(gone, 1);

    for (String orderId : punctualOrders) {
      flows.awaitState(punctual, orderId, "ready");
    }
    flows.awaitState(badKeys, bad.orderId(), "refunded");
    flows.awaitState(runaway.merchant(), gone.orderId(), "funded");
    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(runaway.merchant(), gone.orderId(), "resupplying");
    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(runaway.merchant(), gone.orderId(), "refunded");
    flows.advance(Duration.ofSeconds(3601));
    for (String orderId : punctualOrders) {
      flows.awaitState(punctual, orderId, "released");
    }

    JsonObject good = awaitReliability(punctual.id(), r -> r.getJsonObject("orders").getLong("sample") == 4);
    assertThat(good.getInteger("score")).as(good.encodePrettily()).isEqualTo(100);
    assertThat(good.getBoolean("enough_data")).isTrue();
    assertThat(good.getJsonObject("delivery").getLong("sample")).isEqualTo(20);
    assertThat(good.getJsonObject("delivery").getLong("on_time")).isEqualTo(20);
    assertThat(good.getJsonObject("delivery").getDouble("on_time_rate")).isEqualTo(1.0);
    assertThat(good.getJsonObject("delivery").getLong("median_ms")).isPositive()
        .isLessThanOrEqualTo(good.getJsonObject("delivery").getLong("p95_ms"));
    assertThat(good.getJsonObject("delivery").getLong("p95_ms")).as("well inside the 10 s deadline")
        .isLessThan(10_000);
    assertThat(good.getJsonObject("keys").getLong("sample")).isEqualTo(20);
    assertThat(good.getJsonObject("keys").getLong("invalid")).isZero();
    assertThat(good.getJsonObject("orders").getLong("refunded")).isZero();

    JsonObject poor = awaitReliability(badKeys.id(), r -> r.getJsonObject("orders").getLong("sample") == 1);
    assertThat(poor.getJsonObject("keys").getLong("sample")).as(poor.encodePrettily()).isEqualTo(60);
    assertThat(poor.getJsonObject("keys").getLong("invalid")).isEqualTo(60);
    assertThat(poor.getJsonObject("keys").getDouble("invalid_rate")).isEqualTo(1.0);
    assertThat(poor.getJsonObject("resupplies").getLong("succeeded")).isEqualTo(40);
    assertThat(poor.getJsonObject("resupplies").getLong("failed")).isEqualTo(20);
    assertThat(poor.getJsonObject("delivery").getLong("on_time")).isEqualTo(20);
    assertThat(poor.getJsonObject("orders").getLong("refunded")).isEqualTo(1);
    // On time (35) and no dispute lost (15) of 100: every key invalid, every closed order refunded.
    assertThat(poor.getInteger("score")).isEqualTo(50);

    JsonObject late = awaitReliability(runaway.merchant().id(), r -> r.getJsonObject("orders").getLong("sample") == 1);
    assertThat(late.getJsonObject("delivery").getLong("late")).as(late.encodePrettily()).isEqualTo(1);
    assertThat(late.getJsonObject("delivery").getLong("on_time")).isZero();
    assertThat(late.getJsonObject("delivery").getDouble("on_time_rate")).isEqualTo(0.0);
    assertThat(late.getJsonObject("resupplies").getLong("failed")).isEqualTo(1);
    assertThat(late.getJsonObject("orders").getDouble("refund_rate")).isEqualTo(1.0);
    assertThat(late.getBoolean("enough_data")).isFalse();
    assertThat(late.getValue("score")).as("one unit is not enough data").isNull();

    TestGateway.Response worst = awaitRanking("?order=worst", items -> items.size() >= 3
        && badKeys.id().equals(items.getJsonObject(0).getString("merchant_id")));
    JsonArray items = worst.json().getJsonArray("items");
    assertThat(items.getJsonObject(1).getString("merchant_id")).isEqualTo(punctual.id());
    assertThat(items.getJsonObject(items.size() - 1).getValue("score")).as("no score comes last").isNull();
    JsonArray best = flows.gw.get("/admin/v1/merchant-scores?order=best&limit=1", flows.gw.adminToken()).json()
        .getJsonArray("items");
    assertThat(best).hasSize(1);
    assertThat(best.getJsonObject(0).getString("merchant_id")).isEqualTo(punctual.id());
    assertThat(flows.gw.get("/admin/v1/merchant-scores", null).status()).isEqualTo(401);
  }

  @Test
  void eachEvidenceEventIsFoldedOnceAndALaterFoldReadsOnlyNewEvents() {
    Flows.Merchant shop = flows.stockMerchant("Incremental " + UUID.randomUUID());
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, keys("INC-", 4));
    Flows.Session first = flows.checkout(shop, sku, 3);
    flows.pay(first, 3);
    flows.awaitState(shop, first.orderId(), "ready");
    awaitAllFolded();
    Row before = cursor();
    assertThat(TestGateway.await(second.reliability().foldOnce())).as("nothing new to fold").isZero();
    assertThat(cursor().getLong("events_folded")).isEqualTo(before.getLong("events_folded"));
    JsonObject three = awaitReliability(shop.id(), r -> r.getJsonObject("delivery").getLong("on_time") == 3);

    Flows.Session next = flows.checkout(shop, sku, 1);
    flows.pay(next, 1);
    flows.awaitState(shop, next.orderId(), "ready");
    awaitAllFolded();
    long newEvents = flows.gw.query("SELECT count(*) FROM evidence_events WHERE order_id = $1", next.orderId())
        .get(0).getLong(0);
    Row after = cursor();
    assertThat(after.getLong("events_folded") - before.getLong("events_folded"))
        .as("the second fold read only the new order's events").isEqualTo(newEvents);
    assertThat(after.getString("order_id")).as("the cursor stands on the last event folded")
        .isEqualTo(flows.gw.query("SELECT order_id FROM evidence_events ORDER BY tx DESC, order_id DESC, seq DESC"
            + " LIMIT 1").get(0).getString(0));
    JsonObject four = awaitReliability(shop.id(), r -> r.getJsonObject("delivery").getLong("on_time") == 4);
    assertThat(four.getJsonObject("keys").getLong("sample"))
        .isEqualTo(three.getJsonObject("keys").getLong("sample") + 1);
  }

  @Test
  void twoGatewaysFoldingAtOnceCountEveryEventOnce() throws Exception {
    Flows.Merchant shop = flows.stockMerchant("Shared " + UUID.randomUUID());
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, keys("TWO-", 10));
    List<String> orders = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Flows.Session session = flows.checkout(shop, sku, 1);
      flows.pay(session, 1);
      orders.add(session.orderId());
      // Both instances fold by hand too, at the same moments as their own jobs.
      TestGateway.await(Future.join(flows.gw.gateway().reliability().foldOnce(),
          second.reliability().foldOnce()));
    }
    for (String orderId : orders) {
      flows.awaitState(shop, orderId, "ready");
    }
    awaitAllFolded();
    JsonObject seen = awaitReliability(shop.id(), r -> r.getJsonObject("delivery").getLong("sample") >= 10);
    assertThat(seen.getJsonObject("delivery").getLong("on_time")).as(seen.encodePrettily()).isEqualTo(10);
    assertThat(seen.getJsonObject("keys").getLong("sample")).isEqualTo(10);
    // Read from the other instance too: the counts are the database's, not an instance's.
    TestGateway.Response other = get("http://127.0.0.1:" + second.port(), "/v1/merchants/" + shop.id()
        + "/reliability");
    assertThat(other.json().getJsonObject("delivery").getLong("on_time")).isEqualTo(10);
  }

  @Test
  void anUnknownMerchantIsNotFoundAndABadIdRefused() {
    TestGateway.Response unknown = flows.gw.get("/v1/merchants/mer_" + "a".repeat(24) + "/reliability", null);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.problemCode()).isEqualTo("not_found");
    TestGateway.Response bad = flows.gw.get("/v1/merchants/shop-1/reliability", null);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.problemCode()).isEqualTo("validation_failed");
  }

  @Test
  void aNewMerchantHasNotEnoughData() {
    Flows.Merchant shop = flows.stockMerchant("New " + UUID.randomUUID());
    TestGateway.Response response = flows.gw.get("/v1/merchants/" + shop.id() + "/reliability", null);
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    JsonObject json = response.json();
    assertThat(json.getValue("score")).isNull();
    assertThat(json.getBoolean("enough_data")).isFalse();
    assertThat(json.getJsonObject("delivery").getLong("sample")).isZero();
    assertThat(json.getJsonObject("delivery").getValue("median_ms")).isNull();
    assertThat(json.getInteger("window_days")).isEqualTo(MerchantReliability.WINDOW_DAYS);
    assertThat(response.headers().get("cache-control")).contains("max-age=5");
  }

  // ---- helpers

  private static List<String> keys(String prefix, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(prefix + UUID.randomUUID());
    }
    return keys;
  }

  private static Row cursor() {
    return flows.gw.query("SELECT tx::text AS tx, order_id, seq, events_folded FROM merchant_stats_cursor").get(0);
  }

  /** Waits until the fold counted every evidence event there is, each once. */
  private static void awaitAllFolded() {
    Instant giveUp = Instant.now().plus(WAIT);
    String sql = "SELECT (SELECT events_folded FROM merchant_stats_cursor) AS folded,"
        + " (SELECT count(*) FROM evidence_events) AS events";
    Row row = flows.gw.query(sql).get(0);
    while (row.getLong("folded") != row.getLong("events")) {
      assertThat(row.getLong("folded")).as("events folded, at most once each").isLessThanOrEqualTo(row.getLong("events"));
      assertThat(Instant.now()).as("every evidence event folded; now %s", row.toJson()).isBefore(giveUp);
      Flows.pause(50);
      row = flows.gw.query(sql).get(0);
    }
  }

  private static JsonObject awaitReliability(String merchantId, Predicate<JsonObject> condition) {
    Instant giveUp = Instant.now().plus(WAIT);
    TestGateway.Response response;
    do {
      response = flows.gw.get("/v1/merchants/" + merchantId + "/reliability", null);
      if (response.status() == 200 && condition.test(response.json())) {
        return response.json();
      }
      Flows.pause(100);
    } while (Instant.now().isBefore(giveUp));
    throw new AssertionError("the reliability of " + merchantId + " never matched; last: " + response);
  }

  private static TestGateway.Response awaitRanking(String query, Predicate<JsonArray> condition) {
    Instant giveUp = Instant.now().plus(WAIT);
    TestGateway.Response response;
    do {
      response = flows.gw.get("/admin/v1/merchant-scores" + query, flows.gw.adminToken());
      if (response.status() == 200 && condition.test(response.json().getJsonArray("items"))) {
        return response;
      }
      Flows.pause(100);
    } while (Instant.now().isBefore(giveUp));
    throw new AssertionError("the ranking never matched; last: " + response.body());
  }

  private static TestGateway.Response get(String base, String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    return new TestGateway.Response(response.statusCode(), Map.of(), response.body());
  }
}
