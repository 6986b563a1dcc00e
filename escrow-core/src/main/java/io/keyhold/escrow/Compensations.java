package io.keyhold.escrow;

import static io.keyhold.escrow.OrderMachine.details;
import static io.keyhold.escrow.OrderMachine.join;

import java.time.Instant;
import java.util.List;

/**
 * Paying the SKU's {@link Compensation} from the merchant's deposit at the deadline that found the merchant late:
 * {@code min(owed, available)} moved from {@code merchant:<id>:deposit} to {@code compensations:out}, the
 * evidence {@code order.compensated} (owed, paid, unpaid, cause, the deadline missed) and a
 * {@link Effect.PayCompensation} to the payer of the funding payment.
 */
final class Compensations {

  /** A unit's first key did not arrive by the delivery deadline. */
  static final String DELIVERY_LATE = "delivery_late";
  /** A unit's resupply ended in a refund: the resupply window closed or its attempts ran out. */
  static final String RESUPPLY_REFUNDED = "resupply_refunded";

  private final OrderMachine order;
  private Money available;

  /** {@code available}: what the deposit holds for this transition, in the order's currency. */
  Compensations(OrderMachine order, Money available) {
    this.order = order;
    this.available = available;
  }

  /**
   * Pays the compensation owed for {@code units}, let down by missing {@code deadline} for {@code cause}. Nothing
   * when the policy names none or the units owe nothing; evidence also when the deposit pays nothing.
   */
  void pay(List<Integer> units, String cause, Instant deadline) {
    Order before = order.before;
    Compensation compensation = before.policy().compensation();
    if (compensation == null || units.isEmpty()) {
      return;
    }
    Money perUnit = compensation.perUnit(before.unitPrice());
    Money owed = perUnit.times(units.size());
    if (owed.isZero()) {
      return;
    }
    Money paid = owed.compareTo(available) <= 0 ? owed : available;
    Money unpaid = owed.minus(paid);
    Money depositBefore = available;
    available = available.minus(paid);
    order.post(Accounts.merchantDeposit(before.merchantId()), paid.negate());
    order.post(Accounts.COMPENSATIONS_OUT, paid);
    order.record(EvidenceType.ORDER_COMPENSATED, details("cause", cause, "units", join(units),
        "deadline", deadline.toString(), "per_unit", perUnit.toCanonicalString(), "owed", owed.toCanonicalString(),
        "paid", paid.toCanonicalString(), "unpaid", unpaid.toCanonicalString(),
        "deposit_before", depositBefore.toCanonicalString()));
    if (paid.isPositive()) {
      order.effect(new Effect.PayCompensation(order.key(EffectKind.PAY_COMPENSATION), before.id(),
          Settlement.fundingPaymentId(order), paid));
    }
  }
}
