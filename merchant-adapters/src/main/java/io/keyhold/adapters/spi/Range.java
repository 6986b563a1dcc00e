package io.keyhold.adapters.spi;

/**
 * The module's one range check, for the values its value types, builders and settings are given: a
 * value out of range is a wrong setting or a bug, so it throws, naming the value and its bounds.
 */
public final class Range {
  private Range() {}

  /**
   * Returns {@code value} when it lies in {@code [min, max]}.
   *
   * @throws IllegalArgumentException "{@code name} must be between {@code min} and {@code max}, but was
   *     {@code value}"
   */
  public static int check(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", but was " + value);
    }
    return value;
  }
}
