package io.keyhold.escrow;

/**
 * What an order does with a unit whose key still has no definite verdict ({@link KeyVerdict#UNKNOWN}
 * or no answer at all) when its validation deadline ({@link SkuPolicy#validateWithin()}) passes.
 *
 * <p>Both choices are fail-closed: an unchecked key is never released to the merchant as if it were valid.
 */
public enum UnknownVerdictPolicy implements Coded {
  /** Treat the key as invalid: ask for a replacement while attempts and the resupply window last, then refund. */
  RESUPPLY("resupply"),
  /** Give up on the unit at once: the order settles, valid units released and the rest refunded. */
  REFUND("refund");

  private static final CodeLookup<UnknownVerdictPolicy> CODES =
      CodeLookup.of(UnknownVerdictPolicy.class, "unknown verdict policy");

  private final String code;

  UnknownVerdictPolicy(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The policy with this code, or an {@link IllegalArgumentException} naming the code. */
  public static UnknownVerdictPolicy fromCode(String code) {
    return CODES.find(code);
  }
}
