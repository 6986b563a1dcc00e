package io.keyhold.adapters.spi;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;

/**
 * The secret text of one card key (a gift code, a point card PIN, an activation code).
 *
 * <p>Whoever reads a card key can redeem it, so it never reaches a log line, an exception message or
 * a {@code toString()}: {@link #toString()} answers {@code CardKey[***]}, and the text is only
 * available through {@link #reveal()}, a name meant to stand out in review.
 */
public final class CardKey {

  /** Longest key accepted, in characters; also bounds the work of format checks on it. */
  public static final int MAX_LENGTH = 256;

  private final String text;

  private CardKey(String text) {
    this.text = text;
  }

  /**
   * Wraps a key's text. Rejects null, empty, blank, longer than {@value #MAX_LENGTH} characters, or
   * containing control characters; the message never repeats the text.
   */
  public static CardKey of(String text) {
    if (text == null) {
      throw new IllegalArgumentException("card key must be set, but was null");
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("card key must not be blank");
    }
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "card key must be at most " + MAX_LENGTH + " characters, but had " + text.length());
    }
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) {
        throw new IllegalArgumentException("card key must not contain control characters, but had one at index " + i);
      }
    }
    return new CardKey(text);
  }

  /** The key's text. Handle with care: never log it, never put it in a message. */
  public String reveal() {
    return text;
  }

  /** Compares in constant time, so equality checks do not leak how much of a key matched. */
  @Override
  public boolean equals(Object other) {
    return other instanceof CardKey that
        && MessageDigest.isEqual(text.getBytes(StandardCharsets.UTF_8), that.text.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  /** Always {@code CardKey[***]}: the text stays out of logs. */
  @Override
  public String toString() {
    return "CardKey[***]";
  }
}
