package io.keyhold.gateway.store;

/**
 * The gateway's one range check for values its own code and configuration hand around (a bad one
 * is a bug or a wrong setting, so it throws). Request input is checked by the API's parser instead,
 * which reports every bad field at once.
 */
public final class Range {
  private Range() {}

  /** {@code value}, when it lies in {@code [min, max]}; else an exception naming it, the bounds and the value. */
  public static long check(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", but was " + value);
    }
    return value;
  }
}
