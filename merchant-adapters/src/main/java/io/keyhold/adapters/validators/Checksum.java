package io.keyhold.adapters.validators;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** A check-digit scheme a key's text must satisfy. Named in configuration by its {@link #code()}. */
public enum Checksum {
  /** No checksum. */
  NONE("none") {
    @Override
    public boolean isValid(String text) {
      return true;
    }
  },
  /** Luhn (ISO/IEC 7812-1, "mod 10"): digits only, the last one is the check digit. */
  LUHN("luhn") {
    @Override
    public boolean isValid(String text) {
      if (text.length() < 2) {
        return false;
      }
      int sum = 0;
      boolean doubled = false;
      for (int i = text.length() - 1; i >= 0; i--) {
        int digit = text.charAt(i) - '0';
        if (digit < 0 || digit > 9) {
          return false;
        }
        if (doubled) {
          digit *= 2;
          if (digit > 9) {
            digit -= 9;
          }
        }
        sum += digit;
        doubled = !doubled;
      }
      return sum % 10 == 0;
    }
  },
  /**
   * ISO 7064 MOD 97-10 (the scheme of IBAN check digits): digits and letters, letters counting
   * A = 10 ... Z = 35; the whole number modulo 97 must be 1. The text is checked as given, so keys
   * whose check digits sit elsewhere (an IBAN's) are rearranged by their format first.
   */
  MOD97_10("mod97-10") {
    @Override
    public boolean isValid(String text) {
      if (text.length() < 3) {
        return false;
      }
      int remainder = 0;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        int value;
        if (c >= '0' && c <= '9') {
          value = c - '0';
        } else if (c >= 'A' && c <= 'Z') {
          value = c - 'A' + 10;
        } else {
          return false;
        }
        // A letter stands for two digits, so it shifts the remainder by 100.
        remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
      }
      return remainder == 1;
    }
  };

  private static final Map<String, Checksum> BY_CODE =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Checksum::code, Function.identity()));

  private final String code;

  Checksum(String code) {
    this.code = code;
  }

  /** The stable name in configuration. */
  public String code() {
    return code;
  }

  /** Whether {@code text} satisfies this checksum. */
  public abstract boolean isValid(String text);

  /** The checksum named {@code code}, or an {@link IllegalArgumentException} listing the known names. */
  public static Checksum fromCode(String code) {
    Checksum checksum = BY_CODE.get(code);
    if (checksum == null) {
      throw new IllegalArgumentException("checksum must be one of " + BY_CODE.keySet() + ", but was " + code);
    }
    return checksum;
  }
}
