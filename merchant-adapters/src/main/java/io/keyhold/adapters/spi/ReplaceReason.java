package io.keyhold.adapters.spi;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Why Keyhold asks a merchant to replace the key of one unit. Sent on the wire by its {@link #code()};
 * the codes are those of escrow-core's replacement reasons, so the gateway maps one to the other by
 * code. (A unit that was never delivered is not replaced: it is asked for again with
 * {@link MerchantAdapter#provide}.)
 */
public enum ReplaceReason {
  /** The issuer or the format check rejected the key. */
  INVALID("invalid"),
  /** The issuer says the key was already used. */
  REDEEMED("redeemed"),
  /** The same key was delivered for another order. */
  DUPLICATE_KEY("duplicate_key"),
  /** Nobody could check the key before the validation deadline (fail-closed). */
  VERDICT_UNKNOWN("verdict_unknown");

  private static final Map<String, ReplaceReason> BY_CODE =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(ReplaceReason::code, Function.identity()));

  private final String code;

  ReplaceReason(String code) {
    this.code = code;
  }

  /** The stable code sent on the wire and persisted; never the constant's position. */
  public String code() {
    return code;
  }

  /** The reason with this code, or an {@link IllegalArgumentException} naming the code. */
  public static ReplaceReason fromCode(String code) {
    ReplaceReason reason = BY_CODE.get(code);
    if (reason == null) {
      throw new IllegalArgumentException("unknown replace reason code: " + code);
    }
    return reason;
  }
}
