package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The ledger audit over a real run: it passes on orders moved only by the gateway, and each injected
 * violation (written straight into the tables, as a bug or a tampering would) makes its invariant
 * fail and name the order. Each injection is undone before the next test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LedgerAuditTest {
  static TestGateway gw;
  static Purchases purchases;
  static Purchases.Purchase released;
  static Purchases.Purchase refunded;
  static Purchases.Purchase ready;
  static Purchases.Purchase unpaid;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    purchases = new Purchases(gw);
    Purchases.Shop shop = purchases.stockShop(10, null);
    released = purchases.readyOrder(shop, 2);
    purchases.act(released, "reveal");
    assertThat(purchases.act(released, "confirm").json().getString("state")).isEqualTo("released");
    refunded = purchases.readyOrder(shop, 1);
    assertThat(purchases.act(refunded, "cancel").json().getString("state")).isEqualTo("refunded");
    ready = purchases.readyOrder(shop, 1);
    unpaid = purchases.checkout(shop, 1);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  private static JsonObject audit() {
    TestGateway.Response response = gw.get("/admin/v1/audit", gw.adminToken());
    assertThat(response.status()).as("audit answer %s", response).isEqualTo(200);
    return response.json();
  }

  private static JsonObject invariant(JsonObject audit, int id) {
    return audit.getJsonArray("invariants").getJsonObject(id - 1);
  }

  @Test
  @Order(1)
  void passesOnACleanRun() {
    JsonObject audit = audit();
    assertThat(audit.getJsonArray("invariants")).hasSize(9).allSatisfy(invariant -> {
      JsonObject checked = (JsonObject) invariant;
      assertThat(checked.getBoolean("ok")).as("invariant %s: %s", checked.getInteger("id"), checked).isTrue();
    });
    assertThat(audit.getBoolean("ok")).isTrue();
    JsonObject cny = audit.getJsonObject("totals").getJsonObject("by_currency").getJsonObject("CNY");
    // Paid 2000 + 1000 + 1000: 2000 released (fee 2% = 40), 1000 refunded, 1000 held for the ready order.
    assertThat(cny.getLong("payments_in")).isEqualTo(4000L);
    assertThat(cny.getLong("released") + cny.getLong("fees")).isEqualTo(2000L);
    assertThat(cny.getLong("fees")).isEqualTo(40L);
    assertThat(cny.getLong("refunds")).isEqualTo(1000L);
    assertThat(cny.getLong("held_in_escrow")).isEqualTo(1000L);
    assertThat(cny.getBoolean("balanced")).isTrue();
  }

  @Test
  @Order(2)
  void failsWhenALedgerTransactionDoesNotSumToZero() {
    String merchant = merchantOf(released);
    gw.query("INSERT INTO ledger_postings (merchant_id, order_id, txn_id, account, amount_minor, currency, created_at)"
        + " VALUES ($1, $2, $3, $4, 1, 'CNY', now())", merchant, released.orderId(), released.orderId() + "/tampered",
        "escrow:" + released.orderId());
    try {
      JsonObject audit = audit();
      assertThat(audit.getBoolean("ok")).isFalse();
      assertThat(invariant(audit, 1).getBoolean("ok")).isFalse();
      assertThat(invariant(audit, 1).getJsonArray("violations").getList()).containsExactly(released.orderId());
      assertThat(invariant(audit, 1).getLong("violation_count")).isEqualTo(1L);
      // The stray cent also sits in a closed order's escrow and is accounted nowhere.
      assertThat(invariant(audit, 2).getJsonArray("violations").getList()).contains(released.orderId());
      assertThat(invariant(audit, 7).getJsonArray("violations").getList()).contains(released.orderId());
      assertThat(invariant(audit, 4).getBoolean("ok")).isTrue();
    } finally {
      gw.query("DELETE FROM ledger_postings WHERE txn_id = $1", released.orderId() + "/tampered");
    }
    assertThat(audit().getBoolean("ok")).isTrue();
  }

  @Test
  @Order(3)
  void failsWhenMoneyReachesAMerchantForAUnitThatWasNotReleased() {
    String merchant = merchantOf(ready);
    String txn = ready.orderId() + "/early-payout";
    gw.query("INSERT INTO ledger_postings (merchant_id, order_id, txn_id, account, amount_minor, currency, created_at)"
        + " VALUES ($1, $2, $3, $4, -1000, 'CNY', now()), ($1, $2, $3, $5, 1000, 'CNY', now())",
        merchant, ready.orderId(), txn, "escrow:" + ready.orderId(), "merchant:" + merchant + ":payable");
    try {
      JsonObject audit = audit();
      assertThat(invariant(audit, 1).getBoolean("ok")).as("the forged transaction balances").isTrue();
      assertThat(invariant(audit, 3).getBoolean("ok")).isFalse();
      assertThat(invariant(audit, 3).getJsonArray("violations").getList()).containsExactly(ready.orderId());
      assertThat(invariant(audit, 7).getJsonArray("violations").getList()).containsExactly(ready.orderId());
    } finally {
      gw.query("DELETE FROM ledger_postings WHERE txn_id = $1", txn);
    }
    assertThat(audit().getBoolean("ok")).isTrue();
  }

  @Test
  @Order(4)
  void failsWhenOneKeyIsHeldByTwoUnits() {
    String fingerprint = gw.query("SELECT fingerprint FROM order_units WHERE order_id = $1 AND unit_index = 0",
        released.orderId()).get(0).getString(0);
    String original = gw.query("SELECT fingerprint FROM order_units WHERE order_id = $1 AND unit_index = 0",
        ready.orderId()).get(0).getString(0);
    gw.query("UPDATE order_units SET fingerprint = $1 WHERE order_id = $2 AND unit_index = 0", fingerprint,
        ready.orderId());
    try {
      JsonObject invariant5 = invariant(audit(), 5);
      assertThat(invariant5.getBoolean("ok")).isFalse();
      assertThat(invariant5.getJsonArray("violations").getList())
          .containsExactlyInAnyOrder(released.orderId(), ready.orderId());
    } finally {
      gw.query("UPDATE order_units SET fingerprint = $1 WHERE order_id = $2 AND unit_index = 0", original,
          ready.orderId());
    }
    assertThat(audit().getBoolean("ok")).isTrue();
  }

  @Test
  @Order(5)
  void failsWhenAPaymentFundsAnOrderTwice() {
    String merchant = merchantOf(ready);
    String txn = ready.orderId() + "/second-funding";
    gw.query("INSERT INTO payments (provider, provider_txn_id, merchant_id, order_id, amount_minor, currency, use,"
        + " received_at) VALUES ('sandbox', 'forged-second', $1, $2, 1000, 'CNY', 'funded', now())",
        merchant, ready.orderId());
    gw.query("INSERT INTO ledger_postings (merchant_id, order_id, txn_id, account, amount_minor, currency, created_at)"
        + " VALUES ($1, $2, $3, 'payments:in', -1000, 'CNY', now()), ($1, $2, $3, $4, 1000, 'CNY', now())",
        merchant, ready.orderId(), txn, "escrow:" + ready.orderId());
    try {
      JsonObject audit = audit();
      assertThat(invariant(audit, 4).getJsonArray("violations").getList()).containsExactly(ready.orderId());
      assertThat(invariant(audit, 7).getJsonArray("violations").getList()).containsExactly(ready.orderId());
    } finally {
      gw.query("DELETE FROM ledger_postings WHERE txn_id = $1", txn);
      gw.query("DELETE FROM payments WHERE provider_txn_id = 'forged-second'");
    }
    assertThat(audit().getBoolean("ok")).isTrue();
  }

  @Test
  @Order(6)
  void failsWhenAnOpenOrderHasNoDeadlineOrIsPastIt() {
    java.time.OffsetDateTime due = gw.query("SELECT next_action_at FROM orders WHERE id = $1", ready.orderId()).get(0)
        .getOffsetDateTime(0);
    gw.query("UPDATE orders SET next_action_at = NULL WHERE id = $1", ready.orderId());
    try {
      JsonObject invariant6 = invariant(audit(), 6);
      assertThat(invariant6.getBoolean("ok")).isFalse();
      assertThat(invariant6.getJsonArray("violations").getList()).containsExactly(ready.orderId());
    } finally {
      gw.query("UPDATE orders SET next_action_at = $1 WHERE id = $2", due, ready.orderId());
    }
    assertThat(audit().getBoolean("ok")).isTrue();
    // The payment deadline of the unpaid order is 15 minutes away: with a lag of 0 it is still fine,
    // and the audit reads the gateway's clock.
    TestGateway.Response strict = gw.get("/admin/v1/audit?sweeper_lag_seconds=0", gw.adminToken());
    assertThat(strict.json().getJsonArray("invariants").getJsonObject(5).getBoolean("ok")).isTrue();
  }

  @Test
  @Order(7)
  void answersOnlyTheOperator() {
    assertThat(gw.get("/admin/v1/audit", null).status()).isEqualTo(401);
    assertThat(gw.get("/admin/v1/audit", unpaid.token()).status()).isEqualTo(401);
    assertThat(gw.get("/admin/v1/audit?sweeper_lag_seconds=-1", gw.adminToken()).problemCode())
        .isEqualTo("validation_failed");
  }

  private static String merchantOf(Purchases.Purchase purchase) {
    return purchase.shop().merchant().id();
  }
}
