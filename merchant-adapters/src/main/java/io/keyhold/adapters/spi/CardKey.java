package io.keyhold.adapters.spi;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;

/**
 * The secret text of one card key (a gift code, a point card PIN, an activation code).
 *
 * <p>Whoever reads a card key can redeem it, so it never reaches a log line, an exception message or
 * a {@code toString()}: {@link #toString()} answers {@code CardKey[***]}, and the text is only
 * available through {@link #reveal()}, a name meant to stand out in review.
 *
 * <p>This class holds the one rule on the characters of a key, which every way a key enters Keyhold
 * applies (stock uploads, pushed deliveries, keys a remote shop answers): no
 * {@linkplain #isControlCharacter(int) control character}. A key is shown to a buyer and copied into
 * a game or a shop; a hidden character makes it look like another key, or break the line it is shown on.
 */
public final class CardKey {

  /** Longest key accepted, in characters; also bounds the work of format checks on it. */
  public static final int LENGTH_MAX = 256;

  private final String text;

  private CardKey(String text) {
    this.text = text;
  }

  /**
   * Wraps a key's text. Rejects null, empty, blank, longer than {@value #LENGTH_MAX} characters, or
   * holding a {@linkplain #isControlCharacter(int) control character}; the message never repeats the text.
   */
  public static CardKey of(String text) {
    if (text == null) {
      throw new IllegalArgumentException("card key must be set, but was null");
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("card key must not be blank");
    }
    if (text.length() > LENGTH_MAX) {
      throw new IllegalArgumentException(
          "card key must be at most " + LENGTH_MAX + " characters, but had " + text.length());
    }
    int control = controlCharacterIndex(text);
    if (control >= 0) {
      throw new IllegalArgumentException(
          "card key must not contain control characters, but had one at index " + control);
    }
    return new CardKey(text);
  }

  /**
   * Whether a card key must not hold this code point: a control character (Unicode category Cc:
   * NUL, line feed, escape, DEL, the C1 controls such as U+0085), a format character (Cf: the bidi
   * marks, embeddings, overrides and isolates U+200E, U+200F, U+202A to U+202E and U+2066 to U+2069,
   * zero-width characters, the byte order mark U+FEFF), a line or paragraph separator (U+2028, U+2029),
   * or half of a surrogate pair standing alone (not a character at all, and not encodable).
   */
  public static boolean isControlCharacter(int codePoint) {
    return switch (Character.getType(codePoint)) {
      case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
          Character.SURROGATE -> true;
      default -> false;
    };
  }

  /**
   * The index (in {@code char}s) of the first {@linkplain #isControlCharacter(int) control character} in
   * {@code text}, or -1 when there is none: where to point a person at, without quoting the key.
   */
  public static int controlCharacterIndex(CharSequence text) {
    int i = 0;
    while (i < text.length()) {
      int codePoint = Character.codePointAt(text, i);
      if (isControlCharacter(codePoint)) {
        return i;
      }
      i += Character.charCount(codePoint);
    }
    return -1;
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
