package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.Faults;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Merchants' deposits and the compensation they pay (issue 14), over real HTTP and PostgreSQL: shops that never
 * deliver (reference merchants with every call failing), a clock the tests move over the deadlines, the operator's
 * deposit API, the buyer's view and the audit.
 */
class DepositCompensationTest {
  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
  }

  @AfterAll
  static void auditTheLedgerAndStop() throws Exception {
    try {
      JsonObject audit = flows.gw.get("/admin/v1/audit", flows.gw.adminToken()).json();
      assertThat(audit.getBoolean("ok")).as(audit.encodePrettily()).isTrue();
      assertThat(flows.unbalancedTransactions()).isZero();
    } finally {
      flows.close();
    }
  }

  @Test
  void paysTheConfiguredCompensationFromTheDepositWhenDeliveryIsLate() {
    Flows.HttpShop shop = neverDelivering("Late shop", compensation("fixed", 300));
    assertThat(deposit("top-ups", shop.merchant(), 5_000).status()).isEqualTo(200);
    Flows.Session session = buyAndStopDelivering(shop);

    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(shop.merchant(), session.orderId(), "resupplying");

    assertThat(flows.balance(depositAccount(shop.merchant()))).isEqualTo(4_700);
    assertThat(compensatedFor(session.orderId())).isEqualTo(300);
    JsonObject deposit = flows.gw.get("/admin/v1/merchants/" + shop.merchant().id() + "/deposit",
        flows.gw.adminToken()).json();
    assertThat(deposit.getJsonObject("balance").getLong("amount")).isEqualTo(4_700);
    JsonObject own = flows.gw.get("/v1/deposit", shop.merchant().apiKey()).json();
    assertThat(own.getJsonObject("balance").getLong("amount")).isEqualTo(4_700);
    JsonObject compensation = buyerView(session).getJsonObject("compensation");
    assertThat(compensation.getJsonObject("paid").getLong("amount")).isEqualTo(300);
    assertThat(compensation.getJsonObject("unpaid").getLong("amount")).isZero();
    flows.awaitTrue("the sandbox paid the buyer 300",
        "SELECT coalesce(sum(amount_minor), 0) = 300 FROM compensation_payouts WHERE order_id = $1", session.orderId());
    assertAuditPasses();
  }

  @Test
  void paysWhatTheDepositHoldsAndRecordsTheRestWhenTheDepositIsTooSmall() {
    Flows.HttpShop shop = neverDelivering("Thin deposit", compensation("basis_points", 5_000));
    deposit("top-ups", shop.merchant(), 100);
    Flows.Session session = buyAndStopDelivering(shop);

    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(shop.merchant(), session.orderId(), "resupplying");

    assertThat(flows.balance(depositAccount(shop.merchant()))).isZero();
    assertThat(compensatedFor(session.orderId())).isEqualTo(100);
    JsonObject compensated = flows.gw.query("SELECT data FROM evidence_events WHERE order_id = $1"
        + " AND type = 'order.compensated'", session.orderId()).get(0).getJsonObject(0);
    assertThat(compensated.getString("owed")).isEqualTo("500 CNY");
    assertThat(compensated.getString("paid")).isEqualTo("100 CNY");
    assertThat(compensated.getString("unpaid")).isEqualTo("400 CNY");
    JsonObject compensation = buyerView(session).getJsonObject("compensation");
    assertThat(compensation.getJsonObject("paid").getLong("amount")).isEqualTo(100);
    assertThat(compensation.getJsonObject("unpaid").getLong("amount")).isEqualTo(400);
    JsonArray history = flows.gw.get("/admin/v1/merchants/" + shop.merchant().id() + "/deposit/history",
        flows.gw.adminToken()).json().getJsonArray("items");
    assertThat(history.getJsonObject(0).getString("kind")).isEqualTo("compensation");
    assertThat(history.getJsonObject(0).getJsonObject("amount").getLong("amount")).isEqualTo(-100);
    assertThat(history.getJsonObject(1).getString("kind")).isEqualTo("top_up");
    assertAuditPasses();
  }

  @Test
  void paysAgainWhenTheResupplyEndsInARefund() {
    Flows.HttpShop shop = neverDelivering("Never resupplies", compensation("fixed", 250));
    deposit("top-ups", shop.merchant(), 1_000);
    Flows.Session session = buyAndStopDelivering(shop);
    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(shop.merchant(), session.orderId(), "resupplying");

    flows.advance(Duration.ofSeconds(11));
    JsonObject refunded = flows.awaitState(shop.merchant(), session.orderId(), "refunded");

    assertThat(refunded.getJsonObject("refunded").getLong("amount")).isEqualTo(Flows.PRICE);
    assertThat(flows.balance(depositAccount(shop.merchant()))).isEqualTo(500);
    assertThat(compensatedFor(session.orderId())).isEqualTo(500);
    assertThat(flows.gw.query("SELECT data->>'cause' FROM evidence_events WHERE order_id = $1"
        + " AND type = 'order.compensated' ORDER BY seq", session.orderId()).stream().map(r -> r.getString(0)))
        .containsExactly("delivery_late", "resupply_refunded");
    assertThat(buyerView(session).getJsonObject("compensation").getJsonObject("paid").getLong("amount"))
        .isEqualTo(500);
    assertThat(flows.balance("escrow:" + session.orderId())).isZero();
    assertAuditPasses();
  }

  @Test
  void refusesNewCheckoutsWhileTheDepositIsBelowItsFloor() {
    Flows.Merchant shop = flows.stockMerchant("Low deposit");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, List.of("KEY-LOW-1", "KEY-LOW-2"));
    deposit("top-ups", shop, 400);
    assertThat(deposit("floor", shop, 1_000).json().getBoolean("below_floor")).isTrue();

    TestGateway.Response refused = flows.tryCheckout(shop, sku, 1);

    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.json().getString("code")).isEqualTo("merchant_deposit_low");
    assertThat(flows.gw.query("SELECT count(*) FROM orders WHERE merchant_id = $1", shop.id()).get(0).getLong(0))
        .isZero();
    TestGateway.Response withdrawal = deposit("withdrawals", shop, 1);
    assertThat(withdrawal.status()).isEqualTo(409);
    assertThat(withdrawal.json().getString("code")).isEqualTo("deposit_below_floor");

    deposit("top-ups", shop, 600);
    assertThat(flows.tryCheckout(shop, sku, 1).status()).isEqualTo(201);
    assertThat(deposit("withdrawals", shop, 1).json().getString("code")).isEqualTo("deposit_below_floor");
    assertAuditPasses();
  }

  @Test
  void answersARepeatedTopUpWithTheSameResultAndMovesTheMoneyOnce() {
    Flows.Merchant shop = flows.stockMerchant("Repeated top-up");
    String key = UUID.randomUUID().toString();
    String body = new JsonObject().put("amount", 700).put("currency", Flows.CURRENCY).encode();
    String path = "/admin/v1/merchants/" + shop.id() + "/deposit/top-ups";

    TestGateway.Response first = flows.gw.post(path, flows.gw.adminToken(), body, "Idempotency-Key", key);
    TestGateway.Response again = flows.gw.post(path, flows.gw.adminToken(), body, "Idempotency-Key", key);

    assertThat(first.status()).isEqualTo(200);
    assertThat(again.json()).isEqualTo(first.json());
    assertThat(flows.balance(depositAccount(shop))).isEqualTo(700);
    TestGateway.Response otherCurrency = flows.gw.post(path, flows.gw.adminToken(),
        new JsonObject().put("amount", 1).put("currency", "USD").encode(), "Idempotency-Key", UUID.randomUUID().toString());
    assertThat(otherCurrency.status()).isEqualTo(409);
    assertThat(otherCurrency.json().getString("code")).isEqualTo("deposit_currency_mismatch");
  }

  // ---- helpers

  private static JsonObject compensation(String basis, long value) {
    return Flows.shortPolicy().put("compensation", new JsonObject().put("basis", basis).put("value", value));
  }

  private static Flows.HttpShop neverDelivering(String name, JsonObject policy) {
    return flows.httpShop(name, 10, policy, null);
  }

  /** A checkout and its payment, after which every call to the shop fails: it never delivers. */
  private static Flows.Session buyAndStopDelivering(Flows.HttpShop shop) {
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 1);
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("error_rate", 1.0)));
    flows.pay(session, 1);
    flows.awaitState(shop.merchant(), session.orderId(), "funded");
    return session;
  }

  private static TestGateway.Response deposit(String what, Flows.Merchant merchant, long amount) {
    TestGateway.Response response = flows.gw.post("/admin/v1/merchants/" + merchant.id() + "/deposit/" + what,
        flows.gw.adminToken(), new JsonObject().put("amount", amount).put("currency", Flows.CURRENCY).encode(),
        "Idempotency-Key", UUID.randomUUID().toString());
    if (!what.equals("withdrawals")) {
      assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }
    return response;
  }

  private static String depositAccount(Flows.Merchant merchant) {
    return "merchant:" + merchant.id() + ":deposit";
  }

  private static long compensatedFor(String orderId) {
    return flows.gw.query("SELECT coalesce(sum(amount_minor), 0)::bigint FROM ledger_postings WHERE order_id = $1"
        + " AND account = 'compensations:out'", orderId).get(0).getLong(0);
  }

  private static JsonObject buyerView(Flows.Session session) {
    TestGateway.Response response = flows.gw.get(TestGateway.buyerOrderPath(session.orderId(), ""), session.token());
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json();
  }

  private static void assertAuditPasses() {
    JsonObject audit = flows.gw.get("/admin/v1/audit", flows.gw.adminToken()).json();
    assertThat(audit.getBoolean("ok")).as(audit.encodePrettily()).isTrue();
  }
}
