package io.keyhold.simulator.env;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Card keys for the uploaded stock: 16 digits whose last is a Luhn check digit, the format the SKU's
 * {@code format} validator checks. A bad key gets a wrong check digit. Keys are drawn from a secure
 * generator, not the run's seed: the gateway refuses a key it holds from any earlier run, so two runs
 * against one database must not repeat keys.
 */
public final class LuhnKeys {
  public static final int DIGITS = 16;
  /** The pattern the SKU's format validator gets. */
  public static final String PATTERN = "^[0-9]{16}$";

  private final Random random;

  public LuhnKeys() {
    this(new SecureRandom());
  }

  LuhnKeys(Random random) {
    this.random = random;
  }

  /** {@code count} keys, a share {@code badRate} of them with a wrong check digit. */
  public List<Key> draw(int count, double badRate) {
    List<Key> keys = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      boolean bad = random.nextDouble() < badRate;
      keys.add(new Key(make(bad), !bad));
    }
    return keys;
  }

  String make(boolean bad) {
    StringBuilder digits = new StringBuilder(DIGITS);
    digits.append(1 + random.nextInt(9));
    while (digits.length() < DIGITS - 1) {
      digits.append(random.nextInt(10));
    }
    int check = checkDigit(digits);
    digits.append(bad ? (check + 1 + random.nextInt(9)) % 10 : check);
    return digits.toString();
  }

  static int checkDigit(CharSequence payload) {
    int sum = 0;
    boolean twice = true;
    for (int i = payload.length() - 1; i >= 0; i--) {
      int digit = payload.charAt(i) - '0';
      if (twice) {
        digit *= 2;
        if (digit > 9) {
          digit -= 9;
        }
      }
      sum += digit;
      twice = !twice;
    }
    return (10 - sum % 10) % 10;
  }

  static boolean valid(String key) {
    return key.length() == DIGITS && checkDigit(key.substring(0, DIGITS - 1)) == key.charAt(DIGITS - 1) - '0';
  }

  /**
   * One key and whether it is good. {@link #toString()} hides the key.
   *
   * @param value the key
   * @param good whether its check digit is right
   */
  public record Key(String value, boolean good) {
    @Override
    public String toString() {
      return "Key[redacted, good=" + good + "]";
    }
  }
}
