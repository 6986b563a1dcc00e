package io.keyhold.simulator.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.client.Amount;
import io.keyhold.simulator.client.OrderView;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccountabilityTest {
  private static final Amount PRICE = new Amount(1_000, "CNY");
  private static final Instant NOW = Instant.parse("2026-12-03T08:00:00Z");

  private final Books books = new Books();

  private void order(String id, String state, long compensationPaid, long compensationUnpaid, String... events) {
    JsonArray timeline = new JsonArray();
    for (String event : events) {
      timeline.add(new JsonObject().put("type", event).put("at", NOW.toString()));
    }
    books.opened(id, "buyer-" + id, "sku_a", 1, PRICE);
    books.observed(OrderView.fromJson(new JsonObject().put("id", id).put("state", state).put("quantity", 1)
        .put("timeline", timeline).put("compensation", new JsonObject().put("paid", money(compensationPaid))
            .put("unpaid", money(compensationUnpaid)))), NOW);
  }

  private static JsonObject money(long minor) {
    return new JsonObject().put("amount", minor).put("currency", "CNY");
  }

  @Test
  void countsOnlySwitchedOrdersThatKeptTheirKeysAsSavedAndSumsCompensationPaidAndOwed() {
    order("ord_saved", "released", 100, 0, "order.compensated", "unit.source_switched");
    order("ord_ready", "ready", 0, 0, "unit.source_switched");
    order("ord_lost", "refunded", 0, 100, "order.compensated", "unit.source_switched");
    order("ord_plain", "released", 0, 0);
    JsonObject audit = new JsonObject().put("totals", new JsonObject().put("by_currency", new JsonObject()
        .put("CNY", new JsonObject().put("compensations", 100))));

    Accountability accountability = Accountability.of(books.entries(), audit, "CNY", List.of());

    assertThat(accountability.ordersSwitched()).isEqualTo(3);
    assertThat(accountability.ordersSavedByBackup()).isEqualTo(2);
    assertThat(accountability.ordersCompensated()).isEqualTo(1);
    assertThat(accountability.compensationsMinor()).isEqualTo(100);
    assertThat(accountability.unpaidMinor()).isEqualTo(100);
    assertThat(accountability.gatewayCompensationsMinor()).isEqualTo(100);
  }

  @Test
  void aShopBelowTheSampleForAScoreSaysNotEnoughData() {
    Accountability.ShopScore score = Accountability.ShopScore.of(0, "backup", "mer_a", new JsonObject()
        .put("score", null).put("enough_data", false).put("deliveries_min", 20)
        .put("delivery", new JsonObject().put("sample", 7)));

    assertThat(score.score()).isNull();
    assertThat(score.describe()).isEqualTo("not enough data (7 of 20 deliveries)");
  }
}
