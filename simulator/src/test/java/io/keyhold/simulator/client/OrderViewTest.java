package io.keyhold.simulator.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OrderViewTest {
  private static final String CONTRACT_EXAMPLE = """
      {"id": "ord_1", "state": "inspection", "merchant": {"id": "mer_1", "name": "Shop"},
       "sku": {"id": "sku_1", "name": "Card"}, "quantity": 2,
       "unit_price": {"amount": 1000, "currency": "CNY"}, "total": {"amount": 2000, "currency": "CNY"},
       "units": [{"index": 0, "state": "valid", "key": "1234-5678"}, {"index": 1, "state": "valid", "key": null}],
       "deadlines": {"pay_by": "2026-11-22T10:01:00Z", "deliver_by": "2026-11-22T10:02:00Z",
                     "inspection_ends_at": "2026-11-22T10:05:00Z", "hold_until": null},
       "next_action_at": "2026-11-22T10:05:00Z",
       "refunded": {"amount": 0, "currency": "CNY"}, "released": {"amount": 0, "currency": "CNY"},
       "timeline": [{"type": "order.placed", "at": "2026-11-22T10:00:00Z"},
                    {"type": "order.funded", "at": "2026-11-22T10:00:01.250Z"},
                    {"type": "order.funded", "at": "2026-11-22T10:00:09Z"}],
       "actions": {"reveal": false, "confirm": true, "cancel": false, "dispute": true}}
      """;

  @Test
  void readsTheContractsOrderAnswer() {
    OrderView view = OrderView.fromJson(new JsonObject(CONTRACT_EXAMPLE));

    assertThat(view.id()).isEqualTo("ord_1");
    assertThat(view.merchantId()).isEqualTo("mer_1");
    assertThat(view.skuId()).isEqualTo("sku_1");
    assertThat(view.total()).isEqualTo(new Amount(2000, "CNY"));
    assertThat(view.units()).extracting(OrderView.Unit::key).containsExactly("1234-5678", null);
    assertThat(view.timeline().get("order.funded")).isEqualTo(Instant.parse("2026-11-22T10:00:01.250Z"));
    assertThat(view.can("confirm")).isTrue();
    assertThat(view.can("reveal")).isFalse();
    assertThat(view.deadlineForState()).isEqualTo(Instant.parse("2026-11-22T10:05:00Z"));
    assertThat(view.terminal()).isFalse();
    assertThat(view.toString()).doesNotContain("1234");
    assertThat(view.units().get(0).toString()).doesNotContain("1234");
  }

  @Test
  void terminalAndDisputedOrdersHaveNoDeadlineToMiss() {
    assertThat(OrderView.fromJson(new JsonObject().put("id", "o").put("state", "released")).deadlineForState())
        .isNull();
    assertThat(OrderView.fromJson(new JsonObject().put("id", "o").put("state", "disputed")
        .put("next_action_at", "2026-11-22T10:05:00Z")).deadlineForState()).isNull();
  }

  @Test
  void anAnswerWithoutIdOrStateIsNotAnOrder() {
    assertThatThrownBy(() -> OrderView.fromJson(new JsonObject().put("id", "o")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
