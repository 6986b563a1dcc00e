package io.keyhold.escrow;

/** What the buyer says is wrong when opening a dispute. */
public enum DisputeReason implements Coded {
  /** The key does not work. */
  KEY_INVALID("key_invalid"),
  /** The key was already redeemed. */
  KEY_ALREADY_USED("key_already_used"),
  /** The key is for another product or value. */
  WRONG_ITEM("wrong_item"),
  /** Anything else; the text explains. */
  OTHER("other");

  private static final CodeLookup<DisputeReason> CODES = CodeLookup.of(DisputeReason.class, "dispute reason");

  private final String code;

  DisputeReason(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The constant with this code, or an {@link IllegalArgumentException} naming the code. */
  public static DisputeReason fromCode(String code) {
    return CODES.find(code);
  }
}
