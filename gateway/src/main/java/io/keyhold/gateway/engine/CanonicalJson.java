package io.keyhold.gateway.engine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The byte form an evidence bundle is signed in: RFC 8785 (JSON Canonicalization Scheme) for the
 * values a bundle may hold — objects, arrays, strings, integers, booleans and null. No floating-point
 * number is allowed (amounts are integer minor units, times are strings), so JCS's number rules reduce
 * to plain decimal integers.
 *
 * <ul>
 *   <li>no whitespace anywhere;
 *   <li>object members sorted by name, comparing UTF-16 code units ({@link String#compareTo});
 *   <li>strings in double quotes; {@code "} and {@code \} escaped with a backslash; U+0008, U+0009,
 *       U+000A, U+000C, U+000D as {@code \b \t \n \f \r}; other characters below U+0020 as
 *       {@code \}{@code u00xx} in lower-case hex; everything else as is;
 *   <li>integers in decimal, {@code -} for negatives, no leading zeros, no exponent;
 *   <li>the result encoded in UTF-8.
 * </ul>
 *
 * Any JCS implementation gives the same bytes for a bundle, so a verifier does not need Keyhold's code.
 */
final class CanonicalJson {
  /** Nesting deeper than this is not a bundle of ours. */
  public static final int DEPTH_MAX = 32;

  private CanonicalJson() {}

  /** The canonical UTF-8 bytes of {@code value} (a JsonObject, JsonArray, Map, List or scalar). */
  public static byte[] encode(Object value) {
    StringBuilder out = new StringBuilder(1024);
    write(out, value, 0);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(StringBuilder out, Object value, int depth) {
    if (depth > DEPTH_MAX) {
      throw new IllegalArgumentException("nesting must be at most " + DEPTH_MAX + " deep");
    }
    if (value == null) {
      out.append("null");
    } else if (value instanceof JsonObject object) {
      writeObject(out, object.getMap(), depth);
    } else if (value instanceof Map<?, ?> map) {
      writeObject(out, map, depth);
    } else if (value instanceof JsonArray array) {
      writeArray(out, array.getList(), depth);
    } else if (value instanceof List<?> list) {
      writeArray(out, list, depth);
    } else if (value instanceof String string) {
      writeString(out, string);
    } else if (value instanceof Boolean bool) {
      out.append(bool.booleanValue());
    } else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
      out.append(((Number) value).longValue());
    } else {
      throw new IllegalArgumentException("a canonical bundle holds no " + value.getClass().getSimpleName()
          + " values; use strings or integers");
    }
  }

  private static void writeObject(StringBuilder out, Map<?, ?> map, int depth) {
    List<String> names = new ArrayList<>();
    for (Object name : map.keySet()) {
      names.add((String) name);
    }
    names.sort(String::compareTo);
    out.append('{');
    for (int i = 0; i < names.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      writeString(out, names.get(i));
      out.append(':');
      write(out, map.get(names.get(i)), depth + 1);
    }
    out.append('}');
  }

  private static void writeArray(StringBuilder out, List<?> list, int depth) {
    out.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      write(out, list.get(i), depth + 1);
    }
    out.append(']');
  }

  private static void writeString(StringBuilder out, String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\f' -> out.append("\\f");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
