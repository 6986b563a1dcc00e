package io.keyhold.escrow;

import static io.keyhold.escrow.OrderMachine.details;
import static io.keyhold.escrow.OrderState.DISPUTED;
import static io.keyhold.escrow.OrderState.INSPECTION;

import io.keyhold.escrow.OrderEvent.DeliveredKey;
import io.keyhold.escrow.OrderEvent.DuplicateKeyFound;
import io.keyhold.escrow.OrderEvent.KeysDelivered;
import io.keyhold.escrow.OrderEvent.UnitChecked;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keys and verdicts: the shop delivers keys for units that await one, the validator judges each key,
 * and a key found twice is treated as bad. A bad key is replaced while the SKU allows, else its unit
 * is refunded alone ({@link Fulfilment}).
 */
final class KeyRules {

  private KeyRules() {}

  static Outcome onKeysDelivered(OrderMachine order, KeysDelivered delivery) {
    OrderUnit[] units = order.units;
    List<DeliveredKey> fresh = new ArrayList<>();
    for (DeliveredKey key : delivery.keys()) {
      if (key.unit() >= units.length) {
        return unknownUnit(order, key.unit());
      }
      OrderUnit unit = units[key.unit()];
      if (key.keyRef().equals(unit.keyRef())) {
        if (!key.fingerprint().equals(unit.fingerprint())) {
          return order.reject(RejectionCode.UNIT_HOLDS_OTHER_KEY, "unit " + key.unit() + " holds key "
              + key.keyRef() + " with another fingerprint");
        }
        continue;
      }
      fresh.add(key);
    }
    if (fresh.isEmpty()) {
      return order.duplicate();
    }
    if (!order.isFulfilling()) {
      return order.notAllowed("a key delivery");
    }
    for (DeliveredKey key : fresh) {
      if (!units[key.unit()].state().lacksUsableKey()) {
        return order.reject(RejectionCode.UNIT_HOLDS_OTHER_KEY, "unit " + key.unit() + " holds key "
            + units[key.unit()].keyRef() + " in state " + units[key.unit()].state() + " and awaits no key");
      }
    }
    for (DeliveredKey key : fresh) {
      OrderUnit unit = units[key.unit()].delivered(key.keyRef(), key.fingerprint(), order.now);
      units[key.unit()] = unit;
      order.record(EvidenceType.UNIT_KEY_DELIVERED, details("unit", Integer.toString(unit.index()),
          "key_ref", unit.keyRef(), "fingerprint", unit.fingerprint(),
          "delivery", Integer.toString(unit.deliveries())));
      order.effect(new Effect.ValidateUnit(
          order.key(EffectKind.VALIDATE_UNIT), order.before.id(), unit.index(), unit.keyRef(), 1));
    }
    Fulfilment.progress(order);
    return order.finish();
  }

  static Outcome onUnitChecked(OrderMachine order, UnitChecked check) {
    if (check.unit() >= order.units.length) {
      return unknownUnit(order, check.unit());
    }
    OrderUnit unit = order.units[check.unit()];
    if (!order.isFulfilling() || !check.keyRef().equals(unit.keyRef()) || !unit.state().awaitsVerdict()) {
      // A verdict for a replaced key, or a second verdict for a key already judged, can no longer matter.
      return order.duplicate();
    }
    if (check.verdict() == KeyVerdict.UNKNOWN && unit.checks() >= Order.CHECKS_PER_KEY_MAX) {
      // Past the limit an unknown answer teaches nothing new; only the validation deadline decides now.
      return order.duplicate();
    }
    UnitState verdictState = switch (check.verdict()) {
      case VALID -> UnitState.VALID;
      case INVALID -> UnitState.INVALID;
      case REDEEMED -> UnitState.REDEEMED;
      case UNKNOWN -> UnitState.UNKNOWN;
    };
    unit = unit.checked(verdictState, order.now);
    order.units[unit.index()] = unit;
    order.record(EvidenceType.UNIT_CHECKED, details("unit", Integer.toString(unit.index()),
        "key_ref", unit.keyRef(), "fingerprint", unit.fingerprint(), "verdict", check.verdict().code(),
        "check", Integer.toString(unit.checks())));
    switch (check.verdict()) {
      case UNKNOWN -> {
        if (unit.checks() < Order.CHECKS_PER_KEY_MAX) {
          order.effect(new Effect.ValidateUnit(order.key(EffectKind.VALIDATE_UNIT), order.before.id(),
              unit.index(), unit.keyRef(), unit.checks() + 1));
        }
        Fulfilment.progress(order);
      }
      case VALID -> Fulfilment.progress(order);
      case INVALID -> Fulfilment.replaceOrRefund(order, Map.of(unit.index(), ReplacementReason.INVALID));
      case REDEEMED -> Fulfilment.replaceOrRefund(order, Map.of(unit.index(), ReplacementReason.REDEEMED));
    }
    return order.finish();
  }

  static Outcome onDuplicateKey(OrderMachine order, DuplicateKeyFound found) {
    if (found.unit() >= order.units.length) {
      return unknownUnit(order, found.unit());
    }
    OrderUnit unit = order.units[found.unit()];
    UnitState unitState = unit.state();
    if (!found.keyRef().equals(unit.keyRef()) || unitState == UnitState.INVALID
        || unitState == UnitState.REDEEMED || unitState == UnitState.REFUNDED) {
      // Already replaced, already bad, or already refunded: nothing left to protect.
      return order.duplicate();
    }
    if (unitState == UnitState.RELEASED) {
      return order.reject(RejectionCode.STATE_DOES_NOT_ALLOW, "unit " + unit.index()
          + " was already released to the merchant; the duplicate key needs an operator");
    }
    if (order.state == INSPECTION || order.state == DISPUTED) {
      return order.reject(RejectionCode.ALREADY_REVEALED, "unit " + unit.index()
          + " was already revealed to the buyer in state " + order.state + "; the duplicate key needs an operator");
    }
    order.units[unit.index()] = unit.inState(UnitState.INVALID);
    order.record(EvidenceType.UNIT_DUPLICATE_KEY, details("unit", Integer.toString(unit.index()),
        "key_ref", unit.keyRef(), "fingerprint", unit.fingerprint()));
    Fulfilment.replaceOrRefund(order, Map.of(unit.index(), ReplacementReason.DUPLICATE_KEY));
    return order.finish();
  }

  private static Rejection unknownUnit(OrderMachine order, int unit) {
    return order.reject(RejectionCode.UNKNOWN_UNIT, "order " + order.before.id() + " has units 0.."
        + (order.units.length - 1) + ", not " + unit);
  }
}
