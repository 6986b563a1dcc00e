package io.keyhold.adapters.spi;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The one rule every identifier in the adapter SPI and the merchant protocol follows (merchant, SKU,
 * order, reservation and request ids): 1 to {@value #LENGTH_MAX} characters from
 * {@code A-Z a-z 0-9 . _ : -}.
 *
 * <p>A bounded, plain alphabet keeps identifiers safe to log, to put in metric tags and to echo in
 * error messages, which card keys and secrets never are.
 */
public final class Identifiers {

  /** Longest identifier accepted anywhere in the SPI or on the wire. */
  public static final int LENGTH_MAX = 64;

  private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._:-]{1," + LENGTH_MAX + "}");

  private Identifiers() {}

  /** Whether {@code value} is a well-formed identifier. */
  public static boolean isValid(String value) {
    return value != null && ALLOWED.matcher(value).matches();
  }

  /**
   * Returns {@code value} when it is a well-formed identifier, else throws an
   * {@link IllegalArgumentException} naming the field and the value.
   */
  public static String require(String field, String value) {
    Objects.requireNonNull(field, "field");
    if (value == null) {
      throw new IllegalArgumentException(field + " must be set, but was null");
    }
    if (!isValid(value)) {
      throw new IllegalArgumentException(
          field + " must be 1 to " + LENGTH_MAX + " characters of [A-Za-z0-9._:-], but was '"
              + printable(value) + "'");
    }
    return value;
  }

  /** A shortened, control-character-free rendering of a rejected value for an error message. */
  private static String printable(String value) {
    String shortened = value.length() > LENGTH_MAX ? value.substring(0, LENGTH_MAX) + "..." : value;
    return shortened.replaceAll("\\p{Cntrl}", "?");
  }
}
