package io.keyhold.escrow;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What a key validator answered for one card key.
 *
 * <p>{@link #UNKNOWN} means the validator could not answer (timeout, error, malformed reply); it is
 * never a guess, and it never releases or refunds anything by itself: the order retries until its
 * validation deadline, then its SKU policy decides.
 */
public enum KeyVerdict implements Coded {
  /** The key exists, is not used, and may be shown to the buyer. */
  VALID("valid"),
  /** The key does not exist or fails its format or checksum. */
  INVALID("invalid"),
  /** The key exists but was already redeemed. */
  REDEEMED("redeemed"),
  /** The validator gave no usable answer. */
  UNKNOWN("unknown");

  private static final Map<String, KeyVerdict> BY_CODE =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(KeyVerdict::code, Function.identity()));

  private final String code;

  KeyVerdict(String code) {
    this.code = code;
  }

  /** The stable code persisted and sent over the wire; never the constant's position. */
  @Override
  public String code() {
    return code;
  }

  /** The verdict with this code, or an {@link IllegalArgumentException} naming the code. */
  public static KeyVerdict fromCode(String code) {
    KeyVerdict verdict = BY_CODE.get(code);
    if (verdict == null) {
      throw new IllegalArgumentException("unknown key verdict code: " + code);
    }
    return verdict;
  }
}
