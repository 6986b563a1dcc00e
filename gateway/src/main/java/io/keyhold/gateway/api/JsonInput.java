package io.keyhold.gateway.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A strict reader of one JSON object from a request body. Each getter checks type and bounds and
 * records a {@link FieldError} instead of throwing, so one answer lists every bad field; call
 * {@link #done()} after reading to throw a {@code validation_failed} problem when any was found.
 *
 * <pre>{@code
 * JsonInput in = JsonInput.of(body, Set.of("name", "price", "currency"));
 * String name = in.requiredString("name", 1, 200);
 * long price = in.requiredLong("price", 1, PRICE_MINOR_MAX);
 * String currency = in.requiredCurrency("currency");
 * in.done();
 * }</pre>
 *
 * Integers must be JSON integers ({@code 10}, not {@code 10.0} or {@code "10"}) within
 * {@code long}; a value past {@code long} is {@code out_of_range}, never wrapped. Error messages
 * never echo the submitted value.
 */
final class JsonInput {
  private final JsonObject json;
  private final String pointer;
  private final List<FieldError> errors;

  private JsonInput(JsonObject json, String pointer, List<FieldError> errors) {
    this.json = json;
    this.pointer = pointer;
    this.errors = errors;
  }

  /** Reads {@code json}; members outside {@code allowed} are {@code unknown_field} errors. */
  public static JsonInput of(JsonObject json, Set<String> allowed) {
    JsonInput input = new JsonInput(json, "", new ArrayList<>());
    input.rejectUnknown(allowed);
    return input;
  }

  private void rejectUnknown(Set<String> allowed) {
    for (String name : json.fieldNames()) {
      if (!allowed.contains(name)) {
        error(name, FieldError.Code.UNKNOWN_FIELD, "is not a known field");
      }
    }
  }

  private String path(String field) {
    return pointer + "/" + field;
  }

  private void error(String field, FieldError.Code code, String message) {
    errors.add(new FieldError(path(field), code, message));
  }

  /** Records an error found by the caller's own checks. */
  public void reject(String field, FieldError.Code code, String message) {
    error(field, code, message);
  }

  public boolean has(String field) {
    return json.containsKey(field) && json.getValue(field) != null;
  }

  private boolean present(String field, boolean required) {
    if (!has(field)) {
      if (required) {
        error(field, FieldError.Code.MISSING, "is required");
      }
      return false;
    }
    return true;
  }

  /** A string of {@code minLength..maxLength} characters, or null after recording an error. */
  public String requiredString(String field, int minLength, int maxLength) {
    return string(field, minLength, maxLength, true);
  }

  public String optionalString(String field, int minLength, int maxLength) {
    return string(field, minLength, maxLength, false);
  }

  private String string(String field, int minLength, int maxLength, boolean required) {
    if (!present(field, required)) {
      return null;
    }
    if (!(json.getValue(field) instanceof String value)) {
      error(field, FieldError.Code.WRONG_TYPE, "must be a string");
      return null;
    }
    int length = value.codePointCount(0, value.length());
    if (length < minLength) {
      error(field, FieldError.Code.TOO_SHORT, "must have at least " + minLength + " characters");
      return null;
    }
    if (length > maxLength) {
      error(field, FieldError.Code.TOO_LONG, "must have at most " + maxLength + " characters");
      return null;
    }
    return value;
  }

  /** A string matching {@code pattern}, or null after recording an error. */
  public String requiredMatching(String field, Pattern pattern, int maxLength) {
    String value = requiredString(field, 1, maxLength);
    if (value != null && !pattern.matcher(value).matches()) {
      error(field, FieldError.Code.INVALID_FORMAT, "must match " + pattern.pattern());
      return null;
    }
    return value;
  }

  /**
   * An ISO 4217 currency code with defined minor units (so not XAU or XXX), upper case; null after
   * recording {@code unknown_currency}.
   */
  public String requiredCurrency(String field) {
    String value = requiredString(field, 3, 3);
    if (value == null) {
      return null;
    }
    if (!value.matches("[A-Z]{3}") || !isKnownCurrency(value)) {
      error(field, FieldError.Code.UNKNOWN_CURRENCY, "must be an ISO 4217 currency code such as CNY or USD");
      return null;
    }
    return value;
  }

  static boolean isKnownCurrency(String code) {
    try {
      return Currency.getInstance(code).getDefaultFractionDigits() >= 0;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** A JSON integer within {@code min..max}; {@code 0} after recording an error (check {@link #done()}). */
  public long requiredLong(String field, long min, long max) {
    Long value = integer(field, min, max, true);
    return value == null ? 0 : value;
  }

  /** A JSON integer within {@code min..max}, or {@code fallback} when absent. */
  public long optionalLong(String field, long min, long max, long fallback) {
    Long value = integer(field, min, max, false);
    return value == null ? fallback : value;
  }

  /** An int within {@code min..max}, or {@code fallback} when absent. */
  public int optionalInt(String field, int min, int max, int fallback) {
    return Math.toIntExact(optionalLong(field, min, max, fallback));
  }

  private Long integer(String field, long min, long max, boolean required) {
    if (!present(field, required)) {
      return null;
    }
    Object raw = json.getValue(field);
    long value;
    if (raw instanceof Integer || raw instanceof Long || raw instanceof Short || raw instanceof Byte) {
      value = ((Number) raw).longValue();
    } else if (raw instanceof BigInteger big) {
      // Jackson hands out BigInteger only past the range of long.
      error(field, FieldError.Code.OUT_OF_RANGE, "must be between " + min + " and " + max);
      return null;
    } else if (raw instanceof BigDecimal || raw instanceof Double || raw instanceof Float) {
      error(field, FieldError.Code.WRONG_TYPE, "must be an integer");
      return null;
    } else {
      error(field, FieldError.Code.WRONG_TYPE, "must be an integer");
      return null;
    }
    if (value < min || value > max) {
      error(field, FieldError.Code.OUT_OF_RANGE, "must be between " + min + " and " + max);
      return null;
    }
    return value;
  }

  /** A nested object read with the same rules, or null (absent, or after recording an error). */
  public JsonInput optionalObject(String field, Set<String> allowed) {
    return object(field, allowed, false);
  }

  public JsonInput requiredObject(String field, Set<String> allowed) {
    return object(field, allowed, true);
  }

  private JsonInput object(String field, Set<String> allowed, boolean required) {
    if (!present(field, required)) {
      return null;
    }
    if (!(json.getValue(field) instanceof JsonObject nested)) {
      error(field, FieldError.Code.WRONG_TYPE, "must be an object");
      return null;
    }
    JsonInput input = new JsonInput(nested, path(field), errors);
    input.rejectUnknown(allowed);
    return input;
  }

  /** The raw nested object (for free-form members such as adapter config), or null. */
  public JsonObject optionalRawObject(String field, int maxMembers) {
    if (!present(field, false)) {
      return null;
    }
    if (!(json.getValue(field) instanceof JsonObject nested)) {
      error(field, FieldError.Code.WRONG_TYPE, "must be an object");
      return null;
    }
    if (nested.size() > maxMembers) {
      error(field, FieldError.Code.TOO_MANY, "must have at most " + maxMembers + " members");
      return null;
    }
    return nested;
  }

  /** An array of {@code minItems..maxItems} elements, or null after recording an error. */
  public JsonArray array(String field, int minItems, int maxItems, boolean required) {
    if (!present(field, required)) {
      return null;
    }
    if (!(json.getValue(field) instanceof JsonArray array)) {
      error(field, FieldError.Code.WRONG_TYPE, "must be an array");
      return null;
    }
    if (array.size() < minItems) {
      error(field, FieldError.Code.TOO_FEW, "must have at least " + minItems + " elements");
      return null;
    }
    if (array.size() > maxItems) {
      error(field, FieldError.Code.TOO_MANY, "must have at most " + maxItems + " elements");
      return null;
    }
    return array;
  }

  /**
   * The strings of an array, each of {@code minLength..maxLength} characters; null after recording
   * errors (each bad element is reported at its index).
   */
  public List<String> requiredStrings(String field, int minItems, int maxItems, int minLength, int maxLength) {
    JsonArray array = array(field, minItems, maxItems, true);
    if (array == null) {
      return null;
    }
    List<String> values = new ArrayList<>(array.size());
    boolean ok = true;
    for (int i = 0; i < array.size(); i++) {
      Object element = array.getValue(i);
      String where = field + "/" + i;
      if (!(element instanceof String value)) {
        error(where, FieldError.Code.WRONG_TYPE, "must be a string");
        ok = false;
      } else if (value.codePointCount(0, value.length()) < minLength) {
        error(where, FieldError.Code.TOO_SHORT, "must have at least " + minLength + " characters");
        ok = false;
      } else if (value.codePointCount(0, value.length()) > maxLength) {
        error(where, FieldError.Code.TOO_LONG, "must have at most " + maxLength + " characters");
        ok = false;
      } else {
        values.add(value);
      }
    }
    return ok ? values : null;
  }

  /** The array's elements as objects read with the same rules; null after recording errors. */
  public List<JsonInput> objects(String field, int minItems, int maxItems, Set<String> allowed) {
    JsonArray array = array(field, minItems, maxItems, false);
    if (array == null) {
      return has(field) ? null : List.of();
    }
    List<JsonInput> inputs = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject element)) {
        error(field + "/" + i, FieldError.Code.WRONG_TYPE, "must be an object");
        continue;
      }
      JsonInput input = new JsonInput(element, path(field + "/" + i), errors);
      input.rejectUnknown(allowed);
      inputs.add(input);
    }
    return inputs;
  }

  /** True when no error was recorded so far, here or in any nested reader. */
  public boolean valid() {
    return errors.isEmpty();
  }

  /** Throws a {@code validation_failed} {@link ProblemException} listing every error, if any. */
  public void done() {
    if (!errors.isEmpty()) {
      throw new ProblemException(Problem.invalid(List.copyOf(errors)));
    }
  }
}
