package io.keyhold.escrow;

/** Why money goes back to the buyer; carried by {@link Effect.RefundPayment} and the evidence. */
public enum RefundReason implements Coded {
  /** The payment's amount or currency did not match the order's total; the order is unchanged. */
  WRONG_AMOUNT("wrong_amount"),
  /** A second, distinct payment for an order that was already funded. */
  ALREADY_FUNDED("already_funded"),
  /** A payment after expiry that the {@link LatePaymentPolicy} (or missing stock) does not fulfil. */
  LATE_PAYMENT("late_payment"),
  /** The buyer cancelled before the reveal. */
  CANCELLED("cancelled"),
  /** The merchant did not supply valid keys in time: attempts, the resupply window or the validation deadline ran out. */
  NOT_FULFILLED("not_fulfilled"),
  /** An arbiter awarded the units to the buyer. */
  ARBITER("arbiter");

  private static final CodeLookup<RefundReason> CODES = CodeLookup.of(RefundReason.class, "refund reason");

  private final String code;

  RefundReason(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The constant with this code, or an {@link IllegalArgumentException} naming the code. */
  public static RefundReason fromCode(String code) {
    return CODES.find(code);
  }
}
