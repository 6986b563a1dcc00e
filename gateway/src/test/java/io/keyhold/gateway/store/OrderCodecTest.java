package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.escrow.Award;
import io.keyhold.escrow.BackupSource;
import io.keyhold.escrow.DisputeReason;
import io.keyhold.escrow.KeyVerdict;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderDraft;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.Outcome;
import io.keyhold.escrow.SkuPolicy;
import io.keyhold.escrow.Transition;
import io.keyhold.escrow.UnknownVerdictPolicy;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the store writes in {@code orders.data} reads back as the very same order, at every step of its life. */
class OrderCodecTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00.123456Z");

  @Test
  void readsBackEveryStateOfAnOrdersLifeUnchanged() {
    SkuPolicy policy = SkuPolicy.builder().maxResupplyAttempts(3).unknownVerdictPolicy(UnknownVerdictPolicy.REFUND)
        .inspectionWindow(Duration.ofHours(2)).build();
    Order order = Order.place(new OrderDraft("ord_codec", "mer_codec", "sku_codec", 2, Money.of(1999, "EUR"), 250,
        policy), T0).order();
    List<Order> life = new ArrayList<>(List.of(order));
    String fp0 = "a".repeat(64);
    String fp1 = "b".repeat(64);
    String fp2 = "c".repeat(64);
    List<OrderEvent> events = List.of(
        new OrderEvent.PaymentReceived("sandbox:pay-1", Money.of(3998, "EUR"), false),
        new OrderEvent.PaymentReceived("sandbox:pay-2", Money.of(3998, "EUR"), false),
        new OrderEvent.KeysDelivered(List.of(new OrderEvent.DeliveredKey(0, "dk_0", fp0),
            new OrderEvent.DeliveredKey(1, "dk_1", fp1))),
        new OrderEvent.UnitChecked(0, "dk_0", KeyVerdict.VALID),
        new OrderEvent.UnitChecked(1, "dk_1", KeyVerdict.REDEEMED),
        OrderEvent.KeysDelivered.of(1, "dk_2", fp2),
        new OrderEvent.UnitChecked(1, "dk_2", KeyVerdict.VALID),
        new OrderEvent.Reveal(),
        new OrderEvent.DisputeOpened(DisputeReason.KEY_INVALID, "the second key \"does not\" work — 第二个"),
        new OrderEvent.ArbiterDecided(Map.of(0, Award.RELEASE, 1, Award.REFUND)));
    Instant now = T0;
    for (OrderEvent event : events) {
      now = now.plusSeconds(7).plusNanos(1_000);
      Outcome outcome = order.on(event, now);
      assertThat(outcome).as(event.toString()).isInstanceOf(Transition.class);
      order = ((Transition) outcome).order();
      life.add(order);
    }

    for (Order step : life) {
      JsonObject stored = new JsonObject(OrderCodec.encode(step).encode());
      assertThat(OrderCodec.decode(stored)).isEqualTo(step);
    }
    assertThat(order.state().code()).isEqualTo("partially_refunded");
  }

  @Test
  void readsBackTheBackupSourcesAndTheSourceEachUnitIsAt() {
    SkuPolicy policy = SkuPolicy.builder().maxResupplyAttempts(0).build();
    Order order = Order.place(new OrderDraft("ord_backup", "mer_codec", "sku_codec", 2, Money.of(500, "CNY"), 250,
        policy, List.of(new BackupSource("mer_other", "sku_other", 100), new BackupSource("mer_codec", "sku_pool", 250))),
        T0).order();
    List<Order> life = new ArrayList<>(List.of(order));
    Instant now = T0.plusSeconds(1);
    order = ((Transition) order.on(new OrderEvent.PaymentReceived("sandbox:pay-b", Money.of(1000, "CNY"), false), now))
        .order();
    life.add(order);
    now = order.deliverBy();
    order = ((Transition) order.on(new OrderEvent.DeadlineReached(), now)).order();
    life.add(order);
    order = ((Transition) order.on(OrderEvent.KeysDelivered.of(0, "dk_b0", "d".repeat(64)), now.plusSeconds(1)))
        .order();
    life.add(order);

    for (Order step : life) {
      JsonObject stored = new JsonObject(OrderCodec.encode(step).encode());
      assertThat(OrderCodec.decode(stored)).isEqualTo(step);
    }
    assertThat(order.units()).extracting(io.keyhold.escrow.OrderUnit::source).containsExactly(1, 1);
    assertThat(order.backups()).hasSize(2);
  }

  @Test
  void refusesDataInAFormatItDoesNotKnow() {
    JsonObject data = OrderCodec.encode(Order.place(new OrderDraft("ord_x", "mer_x", "sku_x", 1, Money.of(1, "EUR"),
        0, SkuPolicy.defaults()), T0).order()).put("format", "keyhold-order-v0");

    assertThatThrownBy(() -> OrderCodec.decode(data)).hasMessageContaining("keyhold-order-v0");
  }
}
