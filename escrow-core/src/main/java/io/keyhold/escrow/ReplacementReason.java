package io.keyhold.escrow;

/** Why a replacement key was requested for a unit. */
public enum ReplacementReason implements Coded {
  /** No key arrived before {@link Order#deliverBy()}. */
  NOT_DELIVERED("not_delivered"),
  /** The validator found the key invalid. */
  INVALID("invalid"),
  /** The validator found the key already redeemed. */
  REDEEMED("redeemed"),
  /** The key's fingerprint was already delivered to another unit. */
  DUPLICATE_KEY("duplicate_key"),
  /** The key had no definite verdict by its validation deadline (fail-closed). */
  VERDICT_UNKNOWN("verdict_unknown");

  private static final CodeLookup<ReplacementReason> CODES = CodeLookup.of(ReplacementReason.class, "replacement reason");

  private final String code;

  ReplacementReason(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The constant with this code, or an {@link IllegalArgumentException} naming the code. */
  public static ReplacementReason fromCode(String code) {
    return CODES.find(code);
  }
}
