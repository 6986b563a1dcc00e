package io.keyhold.escrow;

/** What an order did with a payment it received. */
public enum PaymentUse implements Coded {
  /** The payment funded the order (at most one payment per order). */
  FUNDED("funded"),
  /** The payment was refunded in full at once (wrong amount, second payment, late payment). */
  REFUNDED("refunded");

  private static final CodeLookup<PaymentUse> CODES = CodeLookup.of(PaymentUse.class, "payment use");

  private final String code;

  PaymentUse(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The constant with this code, or an {@link IllegalArgumentException} naming the code. */
  public static PaymentUse fromCode(String code) {
    return CODES.find(code);
  }
}
