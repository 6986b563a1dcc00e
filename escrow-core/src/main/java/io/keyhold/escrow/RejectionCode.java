package io.keyhold.escrow;

/**
 * Why an order refused an event. A rejected event changes nothing; the gateway answers it (for
 * instance as an RFC 9457 problem with this code) and stores nothing.
 */
public enum RejectionCode implements Coded {
  /** The event has no meaning in the order's current state; the detail names both. */
  STATE_DOES_NOT_ALLOW("state_does_not_allow"),
  /** A {@link OrderEvent.DeadlineReached} came before {@link Order#nextActionAt()} (or none is pending). */
  NOT_DUE("not_due"),
  /** {@code now} is earlier than the order's last change; applying it would make time run backwards. */
  CLOCK_BEHIND("clock_behind"),
  /** A payment id the order already knows came again with another amount. */
  PAYMENT_EXISTS_WITH_DIFFERENT_AMOUNT("payment_exists_with_different_amount"),
  /** The order already recorded {@link Order#PAYMENTS_MAX} payments; an operator must look. */
  TOO_MANY_PAYMENTS("too_many_payments"),
  /** The buyer cancelled an order that was never paid; it simply expires. */
  NOT_FUNDED("not_funded"),
  /** A unit index outside the order. */
  UNKNOWN_UNIT("unknown_unit"),
  /** A key was delivered for a unit that holds another key and does not wait for a replacement. */
  UNIT_HOLDS_OTHER_KEY("unit_holds_other_key"),
  /** Reveal or confirm before every unit's key was found valid. */
  KEYS_NOT_READY("keys_not_ready"),
  /** Confirm or dispute before the buyer revealed the keys. */
  NOT_REVEALED("not_revealed"),
  /** Cancel (or a late duplicate-key finding) after the buyer saw the keys. */
  ALREADY_REVEALED("already_revealed"),
  /** A dispute after the inspection window closed. */
  INSPECTION_WINDOW_CLOSED("inspection_window_closed"),
  /** A second, different dispute while one is open or decided. */
  DISPUTE_ALREADY_OPEN("dispute_already_open"),
  /** An arbiter decision that does not name every unit of the order exactly once. */
  AWARDS_DO_NOT_MATCH_UNITS("awards_do_not_match_units");

  private static final CodeLookup<RejectionCode> CODES = CodeLookup.of(RejectionCode.class, "rejection code");

  private final String code;

  RejectionCode(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The code with this text, or an {@link IllegalArgumentException} naming it. */
  public static RejectionCode fromCode(String code) {
    return CODES.find(code);
  }
}
