package io.keyhold.escrow;

/**
 * What an {@link EvidenceEvent} records. The code is part of the event's hash, so it never changes.
 * Types that matter to merchant and buyer also produce an {@link Effect.Notify} (webhook {@code order.*}).
 */
public enum EvidenceType implements Coded {
  /** The order was placed; the details hold its terms (price, quantity, fee, SKU policy). */
  ORDER_PLACED("order.placed", false),
  /** A payment funded the order. */
  ORDER_FUNDED("order.funded", true),
  /** The order expired unpaid. */
  ORDER_EXPIRED("order.expired", true),
  /** A payment that could not fund the order was refunded in full. */
  PAYMENT_REFUNDED("payment.refunded", true),
  /** A key arrived for a unit (its reference and fingerprint, never the key). */
  UNIT_KEY_DELIVERED("unit.key_delivered", false),
  /** A validator answered for a unit's key. */
  UNIT_CHECKED("unit.checked", false),
  /** A unit's key fingerprint was already delivered elsewhere. */
  UNIT_DUPLICATE_KEY("unit.duplicate_key", false),
  /** A unit's key had no definite verdict at its validation deadline. */
  UNIT_VALIDATION_TIMED_OUT("unit.validation_timed_out", false),
  /** A replacement key was requested for a unit. */
  UNIT_REPLACEMENT_REQUESTED("unit.replacement_requested", false),
  /** A unit its source could not supply moved on to the order's next backup source (from, to, cause). */
  UNIT_SOURCE_SWITCHED("unit.source_switched", false),
  /** Every unit holds a valid, sealed key. */
  ORDER_READY("order.ready", true),
  /** The buyer revealed the keys. */
  KEYS_REVEALED("order.revealed", true),
  /** The buyer cancelled before the reveal. */
  ORDER_CANCELLED("order.cancelled", false),
  /** The buyer opened a dispute. */
  DISPUTE_OPENED("dispute.opened", true),
  /** The arbiter decided a dispute. */
  DISPUTE_DECIDED("dispute.decided", false),
  /** Every unit was released to the merchant. */
  ORDER_RELEASED("order.released", true),
  /** Every unit was refunded to the buyer. */
  ORDER_REFUNDED("order.refunded", true),
  /** Some units were released, the others refunded. */
  ORDER_PARTIALLY_REFUNDED("order.partially_refunded", true),
  /**
   * Units that could not be fulfilled were refunded while their valid siblings stay held, sealed, until
   * the buyer's confirmation, the end of the inspection window, or the maximum hold.
   */
  UNITS_REFUNDED("order.units_refunded", true),
  /**
   * The merchant let units down at a deadline (a first key late, a resupply ended in a refund) and its deposit
   * paid the buyer the SKU's compensation: what was owed, paid and left unpaid, the cause and the deadline missed.
   * Not a webhook of its own: the refund or replacement of the same transition is announced.
   */
  ORDER_COMPENSATED("order.compensated", false);

  private static final CodeLookup<EvidenceType> CODES = CodeLookup.of(EvidenceType.class, "evidence type");

  private final String code;
  private final boolean notifies;

  EvidenceType(String code, boolean notifies) {
    this.code = code;
    this.notifies = notifies;
  }

  @Override
  public String code() {
    return code;
  }

  /** True when this event is announced to merchant and buyer with an {@link Effect.Notify}. */
  public boolean notifies() {
    return notifies;
  }

  /** The type with this code, or an {@link IllegalArgumentException} naming the code. */
  public static EvidenceType fromCode(String code) {
    return CODES.find(code);
  }
}
