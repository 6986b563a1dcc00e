package io.keyhold.gateway.store;

import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.escrow.PaymentRecord;
import io.keyhold.escrow.PaymentUse;
import io.keyhold.escrow.UnitState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The merchant's view of an order ({@code GET /v1/orders/{id}}, list items and webhook bodies): state,
 * units with their verdicts and key fingerprints, payments, deadlines and money — never a key, never
 * the buyer's token.
 */
public final class OrderViews {
  private OrderViews() {}

  public static JsonObject merchant(StoredOrder stored) {
    Order order = stored.order();
    JsonArray units = new JsonArray();
    for (OrderUnit unit : order.units()) {
      units.add(new JsonObject()
          .put("index", unit.index())
          .put("state", unit.state().code())
          .put("fingerprint", unit.fingerprint())
          .put("deliveries", unit.deliveries())
          .put("replacements", unit.replacements())
          .put("delivered_at", time(unit.deliveredAt()))
          .put("checked_at", time(unit.checkedAt())));
    }
    JsonArray payments = new JsonArray();
    Money refundedAtOnce = Money.zero(order.unitPrice().currency());
    for (PaymentRecord payment : order.payments()) {
      payments.add(new JsonObject()
          .put("payment_id", payment.paymentId())
          .put("amount", money(payment.amount()))
          .put("use", payment.use().code())
          .put("received_at", time(payment.receivedAt())));
      if (payment.use() == PaymentUse.REFUNDED && payment.amount().isSameCurrencyAs(refundedAtOnce)) {
        refundedAtOnce = refundedAtOnce.plus(payment.amount());
      }
    }
    long refundedUnits = order.units().stream().filter(u -> u.state() == UnitState.REFUNDED).count();
    long releasedUnits = order.units().stream().filter(u -> u.state() == UnitState.RELEASED).count();
    return new JsonObject()
        .put("id", order.id())
        .put("state", order.state().code())
        .put("merchant_id", order.merchantId())
        .put("sku_id", order.skuId())
        .put("quantity", order.quantity())
        .put("unit_price", money(order.unitPrice()))
        .put("total", money(order.total()))
        .put("fee_basis_points", order.feeBasisPoints())
        .put("buyer_ref", stored.buyerRef())
        .put("units", units)
        .put("payments", payments)
        .put("deadlines", new JsonObject()
            .put("pay_by", time(order.payBy()))
            .put("deliver_by", time(order.deliverBy()))
            .put("resupply_by", time(order.resupplyBy()))
            .put("inspection_ends_at", time(order.inspectionEndsAt()))
            .put("hold_until", time(order.holdUntil())))
        .put("next_action_at", time(order.nextActionAt()))
        .put("refunded", money(order.unitPrice().times(refundedUnits).plus(refundedAtOnce)))
        .put("released", money(order.unitPrice().times(releasedUnits)))
        .put("placed_at", time(order.placedAt()))
        .put("updated_at", time(order.updatedAt()))
        .put("version", order.version());
  }

  public static JsonObject money(Money money) {
    return new JsonObject().put("amount", money.minorUnits()).put("currency", money.currency().getCurrencyCode());
  }

  private static String time(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
