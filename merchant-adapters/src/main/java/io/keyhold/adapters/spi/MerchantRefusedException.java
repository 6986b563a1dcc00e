package io.keyhold.adapters.spi;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The merchant answered, authentically, with a definite refusal (out of stock, unknown SKU...).
 * Nothing happened at the merchant. It is a known outcome: the order's policy decides what follows
 * (resupply elsewhere, refund), and repeating the same request unchanged would get the same answer.
 */
public final class MerchantRefusedException extends AdapterException {

  private static final long serialVersionUID = 1L;

  private static final Pattern CODE = Pattern.compile("[a-z0-9_]{1,64}");

  private final Refusal refusal;
  private final String code;

  /** A refusal with one of the protocol's codes and a detail free of keys and secrets. */
  public MerchantRefusedException(Refusal refusal, String detail) {
    this(refusal, Objects.requireNonNull(refusal, "refusal").code(), detail);
  }

  /**
   * A refusal as the merchant worded it: {@code code} is kept as received (it must be 1 to 64
   * characters of {@code [a-z0-9_]}), {@code refusal} is what this version understands of it.
   */
  public MerchantRefusedException(Refusal refusal, String code, String detail) {
    super("merchant refused (" + requireCode(code) + "): " + detail, null);
    this.refusal = Objects.requireNonNull(refusal, "refusal");
    this.code = code;
  }

  private static String requireCode(String code) {
    if (code == null || !CODE.matcher(code).matches()) {
      throw new IllegalArgumentException("refusal code must be 1 to 64 characters of [a-z0-9_]");
    }
    return code;
  }

  /** What this version understands of the refusal. */
  public Refusal refusal() {
    return refusal;
  }

  /** The refusal code as the merchant sent it. */
  @Override
  public String code() {
    return code;
  }

  @Override
  public boolean mayHaveTakenEffect() {
    return false;
  }
}
