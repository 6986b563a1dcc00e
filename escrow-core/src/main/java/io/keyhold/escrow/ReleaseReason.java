package io.keyhold.escrow;

/** Why money goes to the merchant; carried by {@link Effect.ReleaseFunds} and the evidence. */
public enum ReleaseReason implements Coded {
  /** The buyer confirmed after the reveal. */
  CONFIRMED("confirmed"),
  /** The inspection window closed without a dispute. */
  INSPECTION_WINDOW_OVER("inspection_window_over"),
  /** The buyer never revealed the keys within {@link SkuPolicy#maxHold()}. */
  MAX_HOLD("max_hold"),
  /** The order could not be fulfilled in full; its valid units are released. */
  PARTIAL_FULFILMENT("partial_fulfilment"),
  /** An arbiter awarded the units to the merchant. */
  ARBITER("arbiter");

  private static final CodeLookup<ReleaseReason> CODES = CodeLookup.of(ReleaseReason.class, "release reason");

  private final String code;

  ReleaseReason(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The constant with this code, or an {@link IllegalArgumentException} naming the code. */
  public static ReleaseReason fromCode(String code) {
    return CODES.find(code);
  }
}
