package io.keyhold.escrow;

import static io.keyhold.escrow.OrderMachine.details;
import static io.keyhold.escrow.OrderState.EXPIRED;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The order's next deadline has come ({@link Order#nextActionAt()}): an unpaid order expires, held
 * units are judged on their own deadlines, and a ready or inspected order is released.
 */
final class DeadlineRules {

  private DeadlineRules() {}

  static Outcome onDeadline(OrderMachine order, OrderEvent.DeadlineReached event) {
    Order before = order.before;
    Instant due = before.nextActionAt();
    if (due == null || order.now.isBefore(due)) {
      return order.reject(RejectionCode.NOT_DUE, due == null
          ? "no deadline applies to order " + before.id() + " in state " + order.state
          : "the next deadline of order " + before.id() + " is " + due + ", not yet at " + order.now);
    }
    switch (order.state) {
      case AWAITING_PAYMENT -> {
        order.state = EXPIRED;
        order.record(EvidenceType.ORDER_EXPIRED, details("pay_by", before.payBy().toString()));
        order.effect(new Effect.ReleaseReservation(order.key(EffectKind.RELEASE_RESERVATION), before.id()));
      }
      case FUNDED, VALIDATING, RESUPPLYING -> onFulfilmentDeadline(order,
          new Compensations(order, event.availableIn(before.unitPrice().currency())));
      case READY -> Settlement.settle(order, unit -> Award.RELEASE, ReleaseReason.MAX_HOLD,
          RefundReason.NOT_FULFILLED, "max_hold");
      case INSPECTION -> Settlement.settle(order, unit -> Award.RELEASE, ReleaseReason.INSPECTION_WINDOW_OVER,
          RefundReason.NOT_FULFILLED, "inspection_window_over");
      default -> throw new IllegalStateException(
          "order " + before.id() + " in state " + order.state + " had deadline " + due);
    }
    return order.finish();
  }

  /**
   * Judges each held unit on the deadline that belongs to it: the first key on the delivery deadline,
   * a key's verdict on its validation deadline, a replacement on the resupply window. A unit that can no
   * longer be fulfilled is refunded alone; the others go on. A unit whose resupply window closed at its source
   * moves to the order's next backup source while one remains (its own window there), and is refunded only when
   * the last one's closed. The merchant compensates, from its deposit, each unit whose first key it did not
   * deliver in time and each unit refunded because the last resupply window closed on it.
   */
  private static void onFulfilmentDeadline(OrderMachine order, Compensations compensations) {
    Order before = order.before;
    Map<Instant, List<Integer>> resupplyFailed = new LinkedHashMap<>();
    Map<Integer, ReplacementReason> bad = new LinkedHashMap<>();
    Map<Integer, String> failed = new LinkedHashMap<>();
    List<String> unjudged = new ArrayList<>();
    List<Integer> late = new ArrayList<>();
    for (OrderUnit unit : order.units) {
      if (unit.state().isSettled()) {
        continue;
      }
      Instant resupplyBy = before.resupplyBy(unit);
      if (unit.awaitsReplacement() && resupplyBy != null && !order.now.isBefore(resupplyBy)) {
        if (unit.source() < before.backups().size()) {
          // Its source could not resupply in time: the next backup source is asked before any refund.
          bad.put(unit.index(), ReplacementReason.NOT_DELIVERED);
        } else {
          failed.put(unit.index(), "resupply_window_closed");
          resupplyFailed.computeIfAbsent(resupplyBy, by -> new ArrayList<>()).add(unit.index());
        }
      } else if (unit.awaitsFirstDelivery() && !order.now.isBefore(before.deliverBy())) {
        bad.put(unit.index(), ReplacementReason.NOT_DELIVERED);
        late.add(unit.index());
      } else if (unit.state().awaitsVerdict() && !order.now.isBefore(before.validateBy(unit))) {
        order.record(EvidenceType.UNIT_VALIDATION_TIMED_OUT, details("unit", Integer.toString(unit.index()),
            "key_ref", unit.keyRef(), "checks", Integer.toString(unit.checks())));
        if (before.policy().unknownVerdictPolicy() == UnknownVerdictPolicy.REFUND) {
          failed.put(unit.index(), "verdict_unknown");
        } else {
          order.units[unit.index()] = unit.inState(UnitState.INVALID);
          bad.put(unit.index(), ReplacementReason.VERDICT_UNKNOWN);
          unjudged.add(unit.keyRef());
        }
      }
    }
    Fulfilment.replaceOrRefund(order, bad, failed);
    compensations.pay(late, Compensations.DELIVERY_LATE, before.deliverBy());
    // Refunded once every source failed: the order's merchant owes it, named by the window that closed last.
    resupplyFailed.forEach((by, units) -> compensations.pay(units, Compensations.RESUPPLY_REFUNDED, by));
    // Replaced without a verdict and never shown: the key is the shop's again (a next buyer's check judges it).
    if (!unjudged.isEmpty()) {
      order.effect(new Effect.ReturnKeysToShop(order.key(EffectKind.RETURN_KEYS_TO_SHOP), before.id(), unjudged));
    }
  }
}
