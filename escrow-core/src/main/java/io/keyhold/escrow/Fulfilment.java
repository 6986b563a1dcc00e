package io.keyhold.escrow;

import static io.keyhold.escrow.OrderMachine.details;
import static io.keyhold.escrow.OrderMachine.join;
import static io.keyhold.escrow.OrderState.FUNDED;
import static io.keyhold.escrow.OrderState.READY;
import static io.keyhold.escrow.OrderState.RESUPPLYING;
import static io.keyhold.escrow.OrderState.VALIDATING;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a paid order moves while its units are fulfilled: bad units replaced or refunded alone, and the
 * order's state derived from its units after each change. Shared by the key and deadline rules.
 */
final class Fulfilment {

  private Fulfilment() {}

  /** Requests a replacement for each bad unit, or refunds it alone when it cannot be re-supplied. */
  static void replaceOrRefund(OrderMachine order, Map<Integer, ReplacementReason> bad) {
    replaceOrRefund(order, bad, new LinkedHashMap<>());
  }

  /**
   * Requests a replacement for each bad unit that may still get one at its current source; a bad unit whose
   * attempts there ran out or whose resupply window there closed moves on to the order's next backup source,
   * if one remains. The units in {@code failed} (with their cause), and bad units every source failed, are
   * refunded alone — their siblings go on. With no unit left held, the order settles.
   */
  static void replaceOrRefund(OrderMachine order, Map<Integer, ReplacementReason> bad, Map<Integer, String> failed) {
    Order before = order.before;
    bad.forEach((index, reason) -> {
      OrderUnit unit = order.units[index];
      Instant resupplyBy = before.resupplyBy(unit);
      boolean windowOpen = resupplyBy == null || order.now.isBefore(resupplyBy);
      // At a backup the request that opened it was its first attempt; the replacements follow.
      int attemptsAllowed = before.policy().maxResupplyAttempts() + (unit.source() > 0 ? 1 : 0);
      if (windowOpen && unit.replacements() < attemptsAllowed) {
        requestReplacement(order, unit.replacementRequested(), reason);
      } else if (unit.source() < before.backups().size()) {
        switchSource(order, unit, reason, windowOpen ? "resupply_attempts_exhausted" : "resupply_window_closed");
      } else {
        failed.put(index, windowOpen ? "resupply_attempts_exhausted" : "resupply_window_closed");
      }
    });
    if (failed.isEmpty()) {
      progress(order);
    } else {
      refundUnfulfilled(order, failed);
    }
  }

  private static void requestReplacement(OrderMachine order, OrderUnit unit, ReplacementReason reason) {
    Order before = order.before;
    order.units[unit.index()] = unit;
    if (order.resupplyStartedAt == null) {
      order.resupplyStartedAt = order.now;
    }
    Map<String, String> details = details("unit", Integer.toString(unit.index()),
        "reason", reason.code(), "attempt", Integer.toString(unit.replacements()));
    if (unit.source() == 0) {
      order.record(EvidenceType.UNIT_REPLACEMENT_REQUESTED, details);
      order.effect(new Effect.RequestReplacement(
          order.key(EffectKind.REQUEST_REPLACEMENT), before.id(), unit.index(), reason, unit.replacements()));
    } else {
      details.put("source", before.sourceLabel(unit.source()));
      order.record(EvidenceType.UNIT_REPLACEMENT_REQUESTED, details);
      requestFromBackup(order, unit, reason);
    }
  }

  /** The unit moves on to the next backup source, with a fresh resupply window and attempts there. */
  private static void switchSource(OrderMachine order, OrderUnit unit, ReplacementReason reason, String cause) {
    Order before = order.before;
    OrderUnit switched = unit.switchedTo(unit.source() + 1, order.now);
    order.units[unit.index()] = switched;
    order.record(EvidenceType.UNIT_SOURCE_SWITCHED, details("unit", Integer.toString(unit.index()),
        "from", before.sourceLabel(unit.source()), "to", before.sourceLabel(switched.source()),
        "source", Integer.toString(switched.source()), "cause", cause, "reason", reason.code(),
        "resupply_by", before.resupplyBy(switched).toString()));
    requestFromBackup(order, switched, reason);
  }

  private static void requestFromBackup(OrderMachine order, OrderUnit unit, ReplacementReason reason) {
    Order before = order.before;
    BackupSource source = before.backups().get(unit.source() - 1);
    order.effect(new Effect.RequestFromBackup(order.key(EffectKind.REQUEST_FROM_BACKUP), before.id(), unit.index(),
        unit.source(), source.merchantId(), source.skuId(), reason, unit.replacements()));
  }

  /** Derives the fulfilment state from the units after a change that did not settle the order. */
  static void progress(OrderMachine order) {
    OrderUnit[] units = order.units;
    if (Arrays.stream(units).allMatch(u -> u.state() == UnitState.VALID || u.state().isSettled())) {
      becomeReady(order);
    } else if (Arrays.stream(units).anyMatch(u -> !u.state().isSettled() && u.awaitsReplacement())) {
      order.state = RESUPPLYING;
    } else if (Arrays.stream(units).anyMatch(u -> u.deliveries() > 0)) {
      order.state = VALIDATING;
    } else {
      order.state = FUNDED;
    }
  }

  private static void becomeReady(OrderMachine order) {
    if (order.state != READY) {
      order.state = READY;
      order.readyAt = order.now;
      order.record(EvidenceType.ORDER_READY, details("units",
          Long.toString(Arrays.stream(order.units).filter(u -> u.state() == UnitState.VALID).count())));
    }
  }

  /**
   * Refunds the units that can no longer be fulfilled (index to cause). When no other unit is held the
   * order settles; otherwise only these units are refunded, and their siblings stay held — valid ones
   * sealed until the buyer's confirmation, the end of the inspection window after the reveal, or the
   * maximum hold; the others still on their own deadlines. Refunding one unit never releases another.
   */
  private static void refundUnfulfilled(OrderMachine order, Map<Integer, String> failed) {
    String cause = failed.values().iterator().next();
    boolean othersHeld = Arrays.stream(order.units)
        .anyMatch(u -> !u.state().isSettled() && !failed.containsKey(u.index()));
    if (!othersHeld) {
      Settlement.settle(order, unit -> Award.REFUND, ReleaseReason.PARTIAL_FULFILMENT, RefundReason.NOT_FULFILLED,
          cause);
      return;
    }
    Order before = order.before;
    List<Integer> refunded = new ArrayList<>(failed.keySet());
    List<String> returnedKeys = new ArrayList<>();
    for (int index : refunded) {
      OrderUnit unit = order.units[index];
      if (unit.state().awaitsVerdict()) {
        returnedKeys.add(unit.keyRef());
      }
      order.units[index] = unit.inState(UnitState.REFUNDED);
    }
    Money refund = before.unitPrice().times(refunded.size());
    order.post(Accounts.escrow(before.id()), refund.negate());
    order.post(Accounts.REFUNDS_OUT, refund);
    order.record(EvidenceType.UNITS_REFUNDED, details("cause", cause, "refunded_units", join(refunded),
        "refund", refund.toCanonicalString(), "refund_reason", RefundReason.NOT_FULFILLED.code()));
    order.effect(new Effect.RefundPayment(order.key(EffectKind.REFUND_PAYMENT), before.id(),
        Settlement.fundingPaymentId(order), refund, RefundReason.NOT_FULFILLED));
    if (!returnedKeys.isEmpty()) {
      order.effect(new Effect.ReturnKeysToShop(order.key(EffectKind.RETURN_KEYS_TO_SHOP), before.id(), returnedKeys));
    }
    progress(order);
  }
}
