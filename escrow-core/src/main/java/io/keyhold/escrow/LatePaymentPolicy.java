package io.keyhold.escrow;

/**
 * What an order does with a payment of the right amount that arrives after it {@link OrderState#EXPIRED}.
 * Either way the buyer is never left "paid but stuck".
 */
public enum LatePaymentPolicy implements Coded {
  /** Fulfil the order if the gateway could still reserve stock for it, otherwise refund at once. */
  FULFIL_IF_STOCK("fulfil_if_stock"),
  /** Always refund a late payment at once. */
  REFUND("refund");

  private static final CodeLookup<LatePaymentPolicy> CODES =
      CodeLookup.of(LatePaymentPolicy.class, "late payment policy");

  private final String code;

  LatePaymentPolicy(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The policy with this code, or an {@link IllegalArgumentException} naming the code. */
  public static LatePaymentPolicy fromCode(String code) {
    return CODES.find(code);
  }
}
