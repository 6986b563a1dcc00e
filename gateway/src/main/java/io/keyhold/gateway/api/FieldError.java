package io.keyhold.gateway.api;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * One field that failed validation, reported in a {@code validation_failed} problem's
 * {@code errors} array.
 *
 * @param field JSON pointer into the body ({@code /policy/pay_within_seconds}), or
 *     {@code path:<name>}, {@code query:<name>}, {@code header:<name>} for other inputs
 * @param code what is wrong, as a stable code
 * @param message a sentence for people; never echoes the submitted value
 */
record FieldError(String field, Code code, String message) {
  public FieldError {
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  public JsonObject toJson() {
    return new JsonObject().put("field", field).put("code", code.code()).put("message", message);
  }

  /** Stable field-level codes. */
  public enum Code {
    MISSING("missing"),
    WRONG_TYPE("wrong_type"),
    OUT_OF_RANGE("out_of_range"),
    TOO_SHORT("too_short"),
    TOO_LONG("too_long"),
    TOO_FEW("too_few"),
    TOO_MANY("too_many"),
    UNKNOWN_FIELD("unknown_field"),
    UNKNOWN_CURRENCY("unknown_currency"),
    INVALID_FORMAT("invalid_format"),
    INVALID_VALUE("invalid_value"),
    /** A URL Keyhold would send to that is not https to a public address, nor an allow-listed host. */
    URL_NOT_ALLOWED("url_not_allowed");

    private final String code;

    Code(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }
}
