package io.keyhold.gateway.store;

import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.escrow.PaymentRecord;
import io.keyhold.escrow.PaymentUse;
import io.keyhold.escrow.UnitState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The one place an order becomes JSON: the merchant's view ({@code GET /v1/orders/{id}}, list items
 * and webhook bodies) and the pieces every other view is made of (a unit, the price), in the wire
 * format of {@link Wire}. Never a key, never the buyer's token.
 */
public final class OrderViews {
  /** The name of a unit's key fingerprint in most views. */
  public static final String FINGERPRINT = "fingerprint";

  private OrderViews() {}

  /**
   * A unit: its index and state; then, when asked, its key reference; its key fingerprint under
   * {@code fingerprintMember} (none when null); with {@code history}, its deliveries, replacements and
   * when it was delivered and checked.
   */
  public static JsonObject unit(OrderUnit unit, boolean keyRef, String fingerprintMember, boolean history) {
    JsonObject json = new JsonObject().put("index", unit.index()).put("state", unit.state().code());
    if (keyRef) {
      json.put("key_ref", unit.keyRef());
    }
    if (fingerprintMember != null) {
      json.put(fingerprintMember, unit.fingerprint());
    }
    if (history) {
      json.put("deliveries", unit.deliveries())
          .put("replacements", unit.replacements())
          .put("delivered_at", Wire.time(unit.deliveredAt()))
          .put("checked_at", Wire.time(unit.checkedAt()));
    }
    return json;
  }

  /** Every unit of {@code order} as {@link #unit} makes it. */
  public static JsonArray units(Order order, boolean keyRef, String fingerprintMember, boolean history) {
    JsonArray units = new JsonArray();
    order.units().forEach(unit -> units.add(unit(unit, keyRef, fingerprintMember, history)));
    return units;
  }

  /** Puts the order's quantity, unit price and total into {@code json}. */
  public static JsonObject price(JsonObject json, Order order) {
    return json.put("quantity", order.quantity())
        .put("unit_price", Wire.money(order.unitPrice()))
        .put("total", Wire.money(order.total()));
  }

  /** Puts when the order was placed, funded, began its resupply, became ready and was revealed into {@code json}. */
  public static JsonObject milestones(JsonObject json, Order order) {
    return json.put("placed_at", Wire.time(order.placedAt()))
        .put("funded_at", Wire.time(order.fundedAt()))
        .put("resupply_started_at", Wire.time(order.resupplyStartedAt()))
        .put("ready_at", Wire.time(order.readyAt()))
        .put("revealed_at", Wire.time(order.revealedAt()));
  }

  /**
   * The order's dispute (null when it has none): reason, the buyer's text when asked, when it was
   * opened and decided, and the awards by unit index.
   */
  public static JsonObject dispute(Order order, boolean withText) {
    if (order.dispute() == null) {
      return null;
    }
    JsonObject awards = new JsonObject();
    order.dispute().awards().forEach((unit, award) -> awards.put(Integer.toString(unit), award.code()));
    JsonObject json = new JsonObject().put("reason", order.dispute().reason().code());
    if (withText) {
      json.put("text", order.dispute().text());
    }
    return json.put("opened_at", Wire.time(order.dispute().openedAt()))
        .put("decided_at", Wire.time(order.dispute().decidedAt()))
        .put("awards", awards);
  }

  /** What a delivery push answers: the order's state and its units with their fingerprints. */
  public static JsonObject delivered(StoredOrder stored) {
    return new JsonObject().put("order_id", stored.id()).put("state", stored.order().state().code())
        .put("units", units(stored.order(), false, FINGERPRINT, false));
  }

  public static JsonObject merchant(StoredOrder stored) {
    Order order = stored.order();
    JsonArray units = units(order, false, FINGERPRINT, true);
    JsonArray payments = new JsonArray();
    Money refundedAtOnce = Money.zero(order.unitPrice().currency());
    for (PaymentRecord payment : order.payments()) {
      payments.add(new JsonObject()
          .put("payment_id", payment.paymentId())
          .put("amount", Wire.money(payment.amount()))
          .put("use", payment.use().code())
          .put("received_at", Wire.time(payment.receivedAt())));
      if (payment.use() == PaymentUse.REFUNDED && payment.amount().isSameCurrencyAs(refundedAtOnce)) {
        refundedAtOnce = refundedAtOnce.plus(payment.amount());
      }
    }
    long refundedUnits = order.units().stream().filter(u -> u.state() == UnitState.REFUNDED).count();
    long releasedUnits = order.units().stream().filter(u -> u.state() == UnitState.RELEASED).count();
    return price(new JsonObject()
        .put("id", order.id())
        .put("state", order.state().code())
        .put("merchant_id", order.merchantId())
        .put("sku_id", order.skuId()), order)
        .put("fee_basis_points", order.feeBasisPoints())
        .put("buyer_ref", stored.buyerRef())
        .put("units", units)
        .put("payments", payments)
        .put("deadlines", new JsonObject()
            .put("pay_by", Wire.time(order.payBy()))
            .put("deliver_by", Wire.time(order.deliverBy()))
            .put("resupply_by", Wire.time(order.resupplyBy()))
            .put("inspection_ends_at", Wire.time(order.inspectionEndsAt()))
            .put("hold_until", Wire.time(order.holdUntil())))
        .put("next_action_at", Wire.time(order.nextActionAt()))
        .put("refunded", Wire.money(order.unitPrice().times(refundedUnits).plus(refundedAtOnce)))
        .put("released", Wire.money(order.unitPrice().times(releasedUnits)))
        // Null on a refunded order: no key was ever shown, so a remote shop may sell its keys again.
        .put("revealed_at", Wire.time(order.revealedAt()))
        .put("placed_at", Wire.time(order.placedAt()))
        .put("updated_at", Wire.time(order.updatedAt()))
        .put("version", order.version());
  }

}
