package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.sqlclient.Row;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An order paid in time on the gateway's own stock gets its keys in the change that funds it (one commit, no delivery
 * request queued), and a payment whose stock cannot serve the order at once still funds it: the money never waits on
 * the keys.
 */
class StockAtFundingTest {
  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  @Test
  void aStockOrderPaidInTimeIsReadyInTheChangeThatFundsIt() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Ready at funding shop", "FUND-");
    String orderId = placed.session().orderId();

    flows.pay(placed.session(), 1);
    flows.awaitState(placed.shop(), orderId, "ready");

    List<Row> events = flows.gw.query("SELECT type, tx::text AS tx FROM evidence_events WHERE merchant_id = $1"
        + " AND order_id = $2 AND type IN ('order.funded', 'unit.key_delivered', 'order.ready') ORDER BY seq",
        placed.shop().id(), orderId);
    assertThat(events).extracting(row -> row.getString("type"))
        .containsExactly("order.funded", "unit.key_delivered", "order.ready");
    assertThat(events).extracting(row -> row.getString("tx")).as("written by one transaction").containsOnly(
        events.get(0).getString("tx"));
    assertThat(flows.outbox(orderId)).as("no delivery request: the keys came with the payment")
        .noneMatch(row -> row.startsWith("request_delivery"));
    assertThat(flows.gw.query("SELECT use FROM payments WHERE order_id = $1", orderId).get(0).getString("use"))
        .isEqualTo("funded");
    assertThat(flows.balance("escrow:" + orderId)).isEqualTo(Flows.PRICE);
  }

  @Test
  void aPaymentWhoseStockCannotServeTheOrderAtOnceStillFundsIt() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Emptied stock shop", "GONE-");
    String orderId = placed.session().orderId();
    // A failure the API cannot provoke: the order's reserved key vanishes from the stock before the buyer pays.
    flows.gw.query("DELETE FROM stock_keys WHERE merchant_id = $1 AND sku_id = $2", placed.shop().id(),
        placed.skuId());

    flows.pay(placed.session(), 1);
    flows.awaitTrue("the payment applied", "SELECT count(*) = 1 FROM payments WHERE order_id = $1 AND use IS NOT NULL",
        orderId);

    assertThat(flows.gw.query("SELECT use FROM payments WHERE order_id = $1", orderId).get(0).getString("use"))
        .as("funded without its keys").isEqualTo("funded");
    assertThat(flows.evidenceTypes(orderId)).contains("order.funded").doesNotContain("unit.key_delivered");
    assertThat(flows.balance("escrow:" + orderId)).isEqualTo(Flows.PRICE);
    assertThat(flows.outbox(orderId)).as("its keys are asked for by a delivery request, as for any shop")
        .anyMatch(row -> row.startsWith("request_delivery"));
  }
}
