package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A payment is judged on when the buyer paid, not on when the sweeper got round to the order: one made after
 * the payment deadline is late even while the expiry is not recorded yet, and the SKU's late-payment policy
 * applies at once. Here the sweeper idles (as it would behind a backlog) so the payment meets an order still
 * awaiting payment; the reference shop runs on the gateway's clock.
 */
class LatePaymentTest {
  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start(engine -> engine.sweepIntervalMs(EngineConfig.INTERVAL_MS_MAX), config -> { });
  }

  @AfterAll
  static void auditAndStop() throws Exception {
    try {
      // Every money check of the audit; not the one on deadlines, which this idle sweeper misses on purpose.
      JsonObject audit = flows.gw.get("/admin/v1/audit", flows.gw.adminToken()).json();
      assertThat(audit.getJsonArray("invariants")).isNotEmpty().allSatisfy(check -> {
        JsonObject result = (JsonObject) check;
        if (!result.getString("name").contains("by its last deadline")) {
          assertThat(result.getBoolean("ok")).as(result.encodePrettily()).isTrue();
        }
      });
    } finally {
      flows.close();
    }
  }

  @Test
  void refundsAtOnceAPaymentMadeAfterPayByWhenTheRemoteShopHasNoStockLeft() {
    Flows.HttpShop shop = flows.httpShop("Sold out before the late payment", 1, Flows.shortPolicy(), null);
    Flows.Session late = flows.checkout(shop.merchant(), shop.skuId(), 1);
    // Past pay_by and past the reservation's hold: the shop lets the key go and a punctual buyer reserves it.
    flows.advance(Duration.ofSeconds(Flows.shortPolicy().getLong("pay_within_seconds")
        + EngineConfig.DEFAULT_RESERVATION_GRACE_SECONDS + 5));
    String punctual = awaitCheckout(shop);
    assertThat(flows.order(shop.merchant(), late.orderId()).getString("state")).as("the expiry is not recorded yet")
        .isEqualTo("awaiting_payment");

    flows.pay(late, 1);

    flows.awaitTrue("the late payment applied", "SELECT count(*) = 1 FROM payments WHERE order_id = $1"
        + " AND use IS NOT NULL", late.orderId());
    assertThat(flows.gw.query("SELECT use FROM payments WHERE order_id = $1", late.orderId()).get(0).getString("use"))
        .isEqualTo("refunded");
    flows.awaitTrue("the late payment refunded", "SELECT count(*) = 1 FROM refunds WHERE order_id = $1"
        + " AND reason = 'late_payment'", late.orderId());
    assertThat(flows.evidenceTypes(late.orderId())).contains("payment.refunded").doesNotContain("order.funded");
    assertThat(flows.order(shop.merchant(), punctual).getString("state")).isEqualTo("awaiting_payment");
  }

  /**
   * A checkout's order id. The shop frees an expired hold on its next sweep (every few hundred ms): the first
   * checkout may find no stock yet.
   */
  private static String awaitCheckout(Flows.HttpShop shop) {
    long giveUp = System.nanoTime() + Flows.WAIT.toNanos();
    while (true) {
      var response = flows.tryCheckout(shop.merchant(), shop.skuId(), 1);
      if (response.status() == 201 || System.nanoTime() > giveUp) {
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return response.json().getString("order_id");
      }
      Flows.pause(100);
    }
  }
}
