package io.keyhold.gateway.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.text.Normalizer;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed fingerprints of card keys: HMAC-SHA256 of the normalized key.
 *
 * <p>The fingerprint is what the global unique index holds, so one key is sold once across all
 * merchants without storing it in the clear. Because it is keyed, a database dump alone cannot be
 * searched for a guessed key. The fingerprint key must be the same on every gateway sharing a
 * database and must never change, or duplicates stop being caught (the gateway checks it against
 * the database at start-up).
 *
 * <p>Normalization ({@link #normalize}), so that a shop cannot re-sell one key by writing it
 * differently:
 *
 * <ol>
 *   <li>Unicode NFKC, which folds full-width forms ({@code ＡＢＣ－１２３}) to ASCII;
 *   <li>every whitespace character and every dash ({@code -}, U+2010..U+2015, U+2212) removed,
 *       which also trims;
 *   <li>upper case ({@link Locale#ROOT}).
 * </ol>
 *
 * Thread-safe.
 */
public final class Fingerprints {
  /** HMAC-SHA256 output. */
  public static final int FINGERPRINT_BYTES = 32;
  public static final int KEY_BYTES_MIN = 32;

  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  public Fingerprints(byte[] key) {
    if (key.length < KEY_BYTES_MIN) {
      throw new IllegalArgumentException(
          "fingerprint key must be at least " + KEY_BYTES_MIN + " bytes, but was " + key.length);
    }
    this.key = new SecretKeySpec(key.clone(), ALGORITHM);
  }

  /** The card key as it is fingerprinted; see the class comment. */
  public static String normalize(String cardKey) {
    String folded = Normalizer.normalize(cardKey, Normalizer.Form.NFKC);
    StringBuilder out = new StringBuilder(folded.length());
    folded
        .codePoints()
        .filter(c -> !Character.isWhitespace(c) && !Character.isSpaceChar(c) && !isDash(c))
        .forEach(out::appendCodePoint);
    return out.toString().toUpperCase(Locale.ROOT);
  }

  private static boolean isDash(int c) {
    return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
  }

  /** HMAC-SHA256 of {@link #normalize normalize(cardKey)}; 32 bytes. */
  public byte[] of(String cardKey) {
    return mac(normalize(cardKey).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A value derived from the fingerprint key that reveals nothing about it, stored in the database
   * so that a gateway started with another fingerprint key refuses to run.
   */
  public byte[] checkValue() {
    return mac("keyhold fingerprint key check v1".getBytes(StandardCharsets.UTF_8));
  }

  private byte[] mac(byte[] input) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(input);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "Fingerprints[HMAC-SHA256]";
  }
}
