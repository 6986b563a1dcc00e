package io.keyhold.escrow;

import java.util.HashMap;
import java.util.Map;

/** Finds an enum constant by its stable code; shared by the {@code fromCode} methods. */
final class CodeLookup<E extends Enum<E> & Coded> {

  private final String what;
  private final Map<String, E> byCode;

  private CodeLookup(String what, Map<String, E> byCode) {
    this.what = what;
    this.byCode = byCode;
  }

  /** An index of all constants of {@code type}; a code used twice fails loudly at class load. */
  static <E extends Enum<E> & Coded> CodeLookup<E> of(Class<E> type, String what) {
    Map<String, E> byCode = new HashMap<>();
    for (E constant : type.getEnumConstants()) {
      E previous = byCode.put(constant.code(), constant);
      if (previous != null) {
        throw new IllegalStateException(
            what + " code '" + constant.code() + "' is used by both " + previous + " and " + constant);
      }
    }
    return new CodeLookup<>(what, Map.copyOf(byCode));
  }

  E find(String code) {
    E constant = code == null ? null : byCode.get(code);
    if (constant == null) {
      throw new IllegalArgumentException("unknown " + what + " code: " + code);
    }
    return constant;
  }
}
