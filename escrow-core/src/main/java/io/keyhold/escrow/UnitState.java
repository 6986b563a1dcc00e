package io.keyhold.escrow;

/**
 * Where one unit of an order is: its key and that key's verdict. A unit whose key was found bad
 * keeps {@link #INVALID} or {@link #REDEEMED} (and the bad key's reference) while it waits for a
 * replacement, so the reason stays visible.
 */
public enum UnitState implements Coded {
  /** No key yet. */
  PENDING("pending"),
  /** A key arrived and waits for its verdict. */
  DELIVERED("delivered"),
  /** The key was checked and is valid; the only state in which a key may be shown (after the reveal). */
  VALID("valid"),
  /** The key is invalid, or was sold elsewhere too (duplicate fingerprint). */
  INVALID("invalid"),
  /** The key exists but was already redeemed. */
  REDEEMED("redeemed"),
  /** The validator could not answer yet; it is asked again until the validation deadline. */
  UNKNOWN("unknown"),
  /** The unit's price went back to the buyer. */
  REFUNDED("refunded"),
  /** The unit's price went to the merchant. */
  RELEASED("released");

  private static final CodeLookup<UnitState> CODES = CodeLookup.of(UnitState.class, "unit state");

  private final String code;

  UnitState(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** True while the unit's current key still waits for a definite verdict. */
  public boolean awaitsVerdict() {
    return this == DELIVERED || this == UNKNOWN;
  }

  /** True when the unit has no usable key: none yet, or a bad one. */
  public boolean lacksUsableKey() {
    return this == PENDING || this == INVALID || this == REDEEMED;
  }

  /** True when the unit's price has left escrow: released to the merchant or refunded to the buyer. */
  public boolean isSettled() {
    return this == REFUNDED || this == RELEASED;
  }

  /** The unit state with this code, or an {@link IllegalArgumentException} naming the code. */
  public static UnitState fromCode(String code) {
    return CODES.find(code);
  }
}
