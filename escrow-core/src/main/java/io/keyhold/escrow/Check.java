package io.keyhold.escrow;

import java.util.function.IntPredicate;

/**
 * Argument checks whose messages say what was expected and what was given. Alphabet checks are plain
 * loops rather than regular expressions: they run for every id, key reference and hash of every
 * transition.
 */
final class Check {

  /** Order and merchant ids end up inside account names and idempotency keys, so their alphabet is narrow. */
  static final Alphabet ID = new Alphabet(1, 64, c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
      || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-', "1..64 characters of [A-Za-z0-9._-]");
  /** Ids that come from outside (payment providers, key store): printable ASCII without spaces. */
  static final Alphabet EXTERNAL_ID = new Alphabet(1, 128, c -> c >= 0x21 && c <= 0x7e,
      "1..128 printable ASCII characters without spaces");
  /** Key fingerprints and evidence hashes: SHA-256 sized values in lower-case hex. */
  static final Alphabet HEX_64 = new Alphabet(64, 64, c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'),
      "64 lower-case hex characters");
  /** Evidence detail keys. */
  static final Alphabet DETAIL_KEY = new Alphabet(1, 48, c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
      || c == '_', "1..48 characters of [a-z0-9_]");

  /** Allowed lengths and characters of a string value, and how to say so. */
  record Alphabet(int minLength, int maxLength, IntPredicate allowed, String description) {
    boolean accepts(String value) {
      if (value == null || value.length() < minLength || value.length() > maxLength) {
        return false;
      }
      for (int i = 0; i < value.length(); i++) {
        if (!allowed.test(value.charAt(i))) {
          return false;
        }
      }
      return true;
    }
  }

  private Check() {}

  static String id(String name, String value) {
    return matching(name, value, ID);
  }

  static String externalId(String name, String value) {
    return matching(name, value, EXTERNAL_ID);
  }

  static String fingerprint(String name, String value) {
    return matching(name, value, HEX_64);
  }

  static String matching(String name, String value, Alphabet alphabet) {
    if (!alphabet.accepts(value)) {
      throw new IllegalArgumentException(name + " must be " + alphabet.description() + ", but was '" + value + "'");
    }
    return value;
  }

  static int range(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be between " + min + " and " + max + ", but was " + value);
    }
    return value;
  }

  static long atLeast(String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ", but was " + value);
    }
    return value;
  }

  static <T> T notNull(String name, T value) {
    if (value == null) {
      throw new NullPointerException(name + " must not be null");
    }
    return value;
  }
}
