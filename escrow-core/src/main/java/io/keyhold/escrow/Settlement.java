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
import java.util.TreeMap;
import java.util.function.Function;

/** Closing an order: every held unit released or refunded, the escrow emptied, the money effects. */
final class Settlement {

  private Settlement() {}

  /** What one merchant is paid for the released units its source delivered. */
  private record ReleasePayout(String merchantId, List<Integer> units, Money gross, Money fee, Money net) {}

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
    // Each released unit is paid to the merchant of the source that delivered its key, less that merchant's fee.
    Map<Integer, List<Integer>> releasedBySource = new TreeMap<>();
    for (int index : released) {
      releasedBySource.computeIfAbsent(units[index].source(), source -> new ArrayList<>()).add(index);
    }
    Money gross = before.unitPrice().times(released.size());
    Money fee = Money.zero(before.unitPrice().currency());
    List<ReleasePayout> payouts = new ArrayList<>();
    List<String> paidTo = new ArrayList<>();
    Money refund = before.unitPrice().times(refunded.size());
    order.post(Accounts.escrow(before.id()), gross.plus(refund).negate());
    for (Map.Entry<Integer, List<Integer>> entry : releasedBySource.entrySet()) {
      String merchantId = before.merchantOf(entry.getKey());
      Money sourceGross = before.unitPrice().times(entry.getValue().size());
      Money sourceFee = sourceGross.basisPoints(before.feeBasisPointsOf(entry.getKey()), Order.FEE_ROUNDING);
      Money sourceNet = sourceGross.minus(sourceFee);
      fee = fee.plus(sourceFee);
      order.post(Accounts.merchantPayable(merchantId), sourceNet);
      payouts.add(new ReleasePayout(merchantId, entry.getValue(), sourceGross, sourceFee, sourceNet));
      paidTo.add(merchantId + "=" + sourceNet.toCanonicalString());
    }
    Money net = gross.minus(fee);
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
    if (releasedBySource.keySet().stream().anyMatch(source -> source > 0)) {
      details.put("paid_to", String.join(",", paidTo));
    }
    if (!refunded.isEmpty()) {
      details.put("refund_reason", refundReason.code());
    }
    order.record(type, details);
    for (ReleasePayout p : payouts) {
      order.effect(new Effect.ReleaseFunds(order.key(EffectKind.RELEASE_FUNDS), before.id(), p.merchantId(),
          p.units(), p.gross(), p.fee(), p.net(), releaseReason));
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
