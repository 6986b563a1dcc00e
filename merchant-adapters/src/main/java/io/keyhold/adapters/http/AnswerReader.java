package io.keyhold.adapters.http;

import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.UnitIndex;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Typed reads of a protocol answer. Every field that is missing or of the wrong type becomes an
 * {@link OutcomeUnknownException} ({@code malformed_answer}) naming the field, never a
 * {@code ClassCastException} or {@code NullPointerException}, and never quoting a key.
 */
final class AnswerReader {

  private final String path;
  private final JsonObject json;

  AnswerReader(String path, JsonObject json) {
    this.path = path;
    this.json = json;
  }

  String string(String field) {
    if (json.getValue(field) instanceof String text) {
      return text;
    }
    throw malformed(field + " must be a string");
  }

  /** The field must equal {@code expected} (an echo of the request). */
  void expect(String field, Object expected) {
    Object value = json.getValue(field);
    boolean equal = expected instanceof Integer number
        ? (value instanceof Integer || value instanceof Long) && ((Number) value).longValue() == number
        : expected.equals(value);
    if (!equal) {
      throw malformed(field + " does not echo the request");
    }
  }

  static int integer(String path, Object value, String field) {
    if ((value instanceof Integer || value instanceof Long)
        && ((Number) value).longValue() >= Integer.MIN_VALUE && ((Number) value).longValue() <= Integer.MAX_VALUE) {
      return ((Number) value).intValue();
    }
    throw SignedJsonClient.malformed(path, field + " must be an integer");
  }

  int integer(String field) {
    return integer(path, json.getValue(field), field);
  }

  JsonArray array(String field) {
    if (json.getValue(field) instanceof JsonArray array) {
      return array;
    }
    throw malformed(field + " must be an array");
  }

  Instant instant(String field) {
    String text = string(field);
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw malformed(field + " must be an RFC 3339 UTC time");
    }
  }

  DeliveredKey key(UnitIndex unit, String field) {
    return key(path, unit, json.getValue(field), field);
  }

  /**
   * The key for {@code unit}: a text that is no key at all (empty, too long) makes the answer
   * unreadable; a key holding a control character is a bad key the shop sent, refused but answered.
   */
  static DeliveredKey key(String path, UnitIndex unit, Object value, String field) {
    if (value instanceof String text) {
      try {
        return DeliveredKey.of(unit, text);
      } catch (IllegalArgumentException e) {
        // The message never quotes the key, so it may travel on.
        throw SignedJsonClient.malformed(path, field + ": " + e.getMessage());
      }
    }
    throw SignedJsonClient.malformed(path, field + " must be a string");
  }

  OutcomeUnknownException malformed(String detail) {
    return SignedJsonClient.malformed(path, detail);
  }
}
