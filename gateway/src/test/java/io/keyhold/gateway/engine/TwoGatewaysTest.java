package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.Gateway;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two gateway instances on one database, under concurrent buyers: checkouts and payments go to both,
 * both sweepers and both outboxes run. No order may be handled twice — every order has exactly one
 * funding, one "ready" and one release in its evidence and its ledger — and the ledger sums to zero.
 */
class TwoGatewaysTest {
  static final int ORDERS = 40;
  static final int BUYERS = 8;

  static Flows flows;
  static Gateway second;

  @BeforeAll
  static void start() throws Exception {
    // Small sweep batches, so both instances' sweepers share the deadlines.
    flows = Flows.start(engine -> engine.sandboxChaos(true).sweepBatchMax(5), config -> { });
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
  void handlesEveryOrderOnceWithTwoGatewaysOnOneDatabase() throws Exception {
    List<Flows.Merchant> shops = new ArrayList<>();
    List<String> skus = new ArrayList<>();
    for (int s = 0; s < 2; s++) {
      Flows.Merchant shop = flows.stockMerchant("Shop " + s);
      String sku = flows.sku(shop, Flows.shortPolicy(), Flows.formatValidator("^LOAD-.*$", "none"));
      List<String> keys = new ArrayList<>();
      for (int k = 0; k < ORDERS / 2; k++) {
        keys.add("LOAD-" + UUID.randomUUID());
      }
      flows.upload(shop, sku, keys);
      shops.add(shop);
      skus.add(sku);
    }
    String[] instances = {flows.gw.baseUrl(), "http://127.0.0.1:" + second.port()};
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    ExecutorService buyers = Executors.newFixedThreadPool(BUYERS);
    List<Future<String>> placed = new ArrayList<>();
    for (int i = 0; i < ORDERS; i++) {
      int n = i;
      placed.add(buyers.submit(() -> buy(http, instances[n % 2], instances[(n + 1) % 2], shops.get(n % 2),
          skus.get(n % 2))));
    }
    List<String> orderIds = new ArrayList<>();
    for (Future<String> order : placed) {
      orderIds.add(order.get());
    }
    buyers.shutdown();

    for (int i = 0; i < ORDERS; i++) {
      flows.awaitState(shops.get(i % 2), orderIds.get(i), "ready");
    }
    double sweptBefore = swept(flows.gw.gateway()) + swept(second);
    long releasedBefore = releasedOrders();
    flows.advance(Duration.ofSeconds(3601));
    for (int i = 0; i < ORDERS; i++) {
      flows.awaitState(shops.get(i % 2), orderIds.get(i), "released");
    }

    for (String orderId : orderIds) {
      List<String> types = flows.evidenceTypes(orderId);
      assertThat(types).as(orderId).filteredOn("order.funded"::equals).hasSize(1);
      assertThat(types).as(orderId).filteredOn("order.ready"::equals).hasSize(1);
      assertThat(types).as(orderId).filteredOn("order.released"::equals).hasSize(1);
      assertThat(types).as(orderId).filteredOn("unit.key_delivered"::equals).hasSize(1);
      Row ledger = flows.gw.query("SELECT count(*) AS postings, count(DISTINCT txn_id) AS txns,"
          + " sum(amount_minor) FILTER (WHERE account = 'payments:in') AS paid FROM ledger_postings"
          + " WHERE order_id = $1", orderId).get(0);
      assertThat(ledger.getLong("postings")).as(orderId).isEqualTo(5);
      assertThat(ledger.getLong("txns")).as(orderId).isEqualTo(2);
      assertThat(ledger.getLong("paid")).as(orderId).isEqualTo(-Flows.PRICE);
    }
    assertThat(flows.unbalancedTransactions()).isZero();
    assertThat(flows.gw.query("SELECT coalesce(sum(amount_minor), 0)::bigint FROM ledger_postings").get(0).getLong(0))
        .isZero();
    JsonObject audit = flows.gw.get("/admin/v1/audit", flows.gw.adminToken()).json();
    assertThat(audit.getBoolean("ok")).as(audit.encodePrettily()).isTrue();
    assertThat(flows.gw.query("SELECT count(*) FROM outbox WHERE state = 'failed'").get(0).getLong(0)).isZero();
    String[] ids = orderIds.toArray(new String[0]);
    assertThat(flows.gw.query("SELECT count(DISTINCT order_id) FROM key_fingerprints WHERE order_id = ANY($1)",
        (Object) ids).get(0).getLong(0)).isEqualTo(ORDERS);
    assertThat(flows.gw.query("SELECT count(*) FROM payments WHERE use = 'funded' AND order_id = ANY($1)",
        (Object) ids).get(0).getLong(0)).isEqualTo(ORDERS);
    // Every release is one sweeper transition: the two sweepers together made exactly one per order released.
    flows.awaitTrue("no order due", "SELECT count(*) = 0 FROM orders WHERE next_action_at <= $1",
        flows.clock.instant().atOffset(java.time.ZoneOffset.UTC));
    long releasedNow = releasedOrders() - releasedBefore;
    assertThat(releasedNow).isGreaterThanOrEqualTo(ORDERS);
    assertThat(swept(flows.gw.gateway()) + swept(second) - sweptBefore).isEqualTo((double) releasedNow);
  }

  @Test
  void finishesTheWorkOfAnInstanceThatStops() throws Exception {
    Gateway third = Gateway.start(flows.gw.gateway().config().toBuilder().port(0).build());
    Flows.Merchant shop = flows.stockMerchant("Handover shop");
    // Deadlines longer than the outbox lease the test jumps over: only the handover is tested here.
    String sku = flows.sku(shop, Flows.shortPolicy().put("pay_within_seconds", 3600).put("deliver_within_seconds", 600)
        .put("validate_within_seconds", 600).put("resupply_within_seconds", 600), null);
    List<String> keys = new ArrayList<>();
    for (int k = 0; k < 5; k++) {
      keys.add("HANDOVER-" + UUID.randomUUID());
    }
    flows.upload(shop, sku, keys);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    String stopping = "http://127.0.0.1:" + third.port();
    List<String> orderIds = new ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        // Paid on the instance about to stop: its sandbox queued the notices there.
        orderIds.add(buy(http, stopping, stopping, shop, sku));
      }
    } finally {
      third.close();
    }
    // Rows the stopped instance had claimed come back to the others when their lease ends.
    flows.advance(Duration.ofMillis(EngineConfig.DEFAULT_OUTBOX_LEASE_MS + 1_000));

    for (String orderId : orderIds) {
      flows.awaitState(shop, orderId, "ready");
      assertThat(flows.evidenceTypes(orderId)).filteredOn("order.funded"::equals).hasSize(1);
    }
    assertThat(flows.unbalancedTransactions()).isZero();
  }

  private static long releasedOrders() {
    return flows.gw.query("SELECT count(*) FROM orders WHERE state = 'released'").get(0).getLong(0);
  }

  private static double swept(Gateway gateway) {
    Counter counter = gateway.meterRegistry().find("keyhold.sweeper.transitions").counter();
    return counter == null ? 0 : counter.count();
  }

  /** One buyer: checkout on one instance, pay through the sandbox of the other. Answers the order id. */
  private static String buy(HttpClient http, String checkoutAt, String payAt, Flows.Merchant shop, String sku)
      throws Exception {
    JsonObject session = send(http, checkoutAt + "/v1/checkout-sessions", shop.apiKey(),
        new JsonObject().put("sku_id", sku).put("quantity", 1), 201);
    String orderUrl = session.getString("order_url");
    String token = orderUrl.substring(orderUrl.indexOf("?t=") + 3);
    JsonObject payment = send(http, payAt + "/v1/sandbox/payments", null, new JsonObject()
        .put("order_id", session.getString("order_id")).put("order_token", token)
        .put("amount", new JsonObject().put("amount", Flows.PRICE).put("currency", Flows.CURRENCY)), 201);
    send(http, checkoutAt + "/v1/sandbox/payments/" + payment.getString("payment_id") + "/confirm", null,
        new JsonObject(), 200);
    return session.getString("order_id");
  }

  private static JsonObject send(HttpClient http, String url, String token, JsonObject body, int expected)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url + " answered " + response.body()).isEqualTo(expected);
    return new JsonObject(response.body());
  }
}
