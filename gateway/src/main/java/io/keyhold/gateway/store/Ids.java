package io.keyhold.gateway.store;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Public ids: a type prefix, an underscore and 24 lowercase base32 characters (120 random bits),
 * such as {@code sku_k5x2...}. Random, so an id reveals no count and cannot be guessed.
 */
public final class Ids {
  public static final int RANDOM_CHARS = 24;
  public static final String MERCHANT = "mer";
  public static final String SKU = "sku";

  private static final int ID_BYTES = RANDOM_CHARS * 5 / 8;
  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  public static String newId(String prefix) {
    byte[] bytes = new byte[ID_BYTES];
    RANDOM.nextBytes(bytes);
    return encode(prefix, bytes);
  }

  /**
   * An id of the same shape made from the first 15 bytes of {@code digest} (a hash of
   * what the id stands for) instead of random ones: the same input always gives the same id.
   */
  public static String derived(String prefix, byte[] digest) {
    if (digest.length < ID_BYTES) {
      throw new IllegalArgumentException(
          "a derived id needs at least " + ID_BYTES + " bytes, but got " + digest.length);
    }
    return encode(prefix, Arrays.copyOf(digest, ID_BYTES));
  }

  private static String encode(String prefix, byte[] bytes) {
    StringBuilder id = new StringBuilder(prefix.length() + 1 + RANDOM_CHARS).append(prefix).append('_');
    int buffer = 0;
    int bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        id.append(ALPHABET[(buffer >> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    return id.toString();
  }

  /** The shape of an id with this prefix; what the schema's CHECK constraints and the API accept. */
  public static Pattern pattern(String prefix) {
    return Pattern.compile(Pattern.quote(prefix) + "_[a-z2-7]{" + RANDOM_CHARS + "}");
  }
}
