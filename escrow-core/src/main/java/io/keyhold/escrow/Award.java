package io.keyhold.escrow;

/** An arbiter's decision for one unit. */
public enum Award implements Coded {
  /** The unit's price goes to the merchant. */
  RELEASE("release"),
  /** The unit's price goes back to the buyer. */
  REFUND("refund");

  private static final CodeLookup<Award> CODES = CodeLookup.of(Award.class, "award");

  private final String code;

  Award(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The constant with this code, or an {@link IllegalArgumentException} naming the code. */
  public static Award fromCode(String code) {
    return CODES.find(code);
  }
}
