package io.keyhold.escrow;

import static io.keyhold.escrow.OrderMachine.details;
import static io.keyhold.escrow.OrderMachine.join;
import static io.keyhold.escrow.OrderState.PARTIALLY_REFUNDED;
import static io.keyhold.escrow.OrderState.REFUNDED;
import static io.keyhold.escrow.OrderState.RELEASED;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Closing an order: every held unit released or refunded, the escrow emptied, the money effects. */
final class Settlement {

  private Settlement() {}

  /**
   * Closes the order: each unit released or refunded as {@code award} says, the escrow emptied into
   * the merchant's payable, the platform's fees and the refunds, and the matching effects.
   */
  static void settle(OrderMachine order, Function<OrderUnit, Award> award, ReleaseReason releaseReason,
      RefundReason refundReason, String cause) {
    Order before = order.before;
    OrderUnit[] units = order.units;
    List<Integer> released = new ArrayList<>();
    List<Integer> refunded = new ArrayList<>();
    List<String> returnedKeys = new ArrayList<>();
    for (OrderUnit unit : units) {
      if (unit.state().isSettled()) {
        continue;
      }
      if (award.apply(unit) == Award.RELEASE) {
        if (unit.state() != UnitState.VALID) {
          throw new IllegalStateException("order " + before.id() + " would release unit " + unit.index()
              + " in state " + unit.state() + "; only valid units are released");
        }
        units[unit.index()] = unit.inState(UnitState.RELEASED);
        released.add(unit.index());
      } else {
        boolean unseen = order.revealedAt == null
            && (unit.state() == UnitState.VALID || unit.state().awaitsVerdict());
        if (unseen) {
          returnedKeys.add(unit.keyRef());
        }
        units[unit.index()] = unit.inState(UnitState.REFUNDED);
        refunded.add(unit.index());
      }
    }
    Money gross = before.unitPrice().times(released.size());
    Money fee = gross.basisPoints(before.feeBasisPoints(), Order.FEE_ROUNDING);
    Money net = gross.minus(fee);
    Money refund = before.unitPrice().times(refunded.size());
    order.post(Accounts.escrow(before.id()), gross.plus(refund).negate());
    order.post(Accounts.merchantPayable(before.merchantId()), net);
    order.post(Accounts.PLATFORM_FEES, fee);
    order.post(Accounts.REFUNDS_OUT, refund);

    boolean anyReleased = Arrays.stream(units).anyMatch(u -> u.state() == UnitState.RELEASED);
    boolean anyRefunded = Arrays.stream(units).anyMatch(u -> u.state() == UnitState.REFUNDED);
    order.state = !anyRefunded ? RELEASED : !anyReleased ? REFUNDED : PARTIALLY_REFUNDED;
    EvidenceType type = switch (order.state) {
      case RELEASED -> EvidenceType.ORDER_RELEASED;
      case REFUNDED -> EvidenceType.ORDER_REFUNDED;
      default -> EvidenceType.ORDER_PARTIALLY_REFUNDED;
    };
    Map<String, String> details = details("cause", cause,
        "released_units", join(released), "refunded_units", join(refunded),
        "gross", gross.toCanonicalString(), "fee", fee.toCanonicalString(), "net", net.toCanonicalString(),
        "refund", refund.toCanonicalString());
    if (!released.isEmpty()) {
      details.put("release_reason", releaseReason.code());
    }
    if (!refunded.isEmpty()) {
      details.put("refund_reason", refundReason.code());
    }
    order.record(type, details);
    if (!released.isEmpty()) {
      order.effect(new Effect.ReleaseFunds(order.key(EffectKind.RELEASE_FUNDS), before.id(), before.merchantId(),
          released, gross, fee, net, releaseReason));
    }
    if (!refunded.isEmpty()) {
      order.effect(new Effect.RefundPayment(
          order.key(EffectKind.REFUND_PAYMENT), before.id(), fundingPaymentId(order), refund, refundReason));
    }
    if (!returnedKeys.isEmpty()) {
      order.effect(new Effect.ReturnKeysToShop(order.key(EffectKind.RETURN_KEYS_TO_SHOP), before.id(), returnedKeys));
    }
    order.effect(new Effect.ReleaseReservation(order.key(EffectKind.RELEASE_RESERVATION), before.id()));
  }

  /** The payment that funded the order; every refund of units goes back to it. */
  static String fundingPaymentId(OrderMachine order) {
    return order.payments.stream().filter(p -> p.use() == PaymentUse.FUNDED).map(PaymentRecord::paymentId)
        .findFirst().orElseThrow(() -> new IllegalStateException(
            "order " + order.before.id() + " settles without a funding payment"));
  }
}
