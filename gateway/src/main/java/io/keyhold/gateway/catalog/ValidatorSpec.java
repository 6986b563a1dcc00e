package io.keyhold.gateway.catalog;

import io.keyhold.gateway.admin.AdminRoutes;
import io.keyhold.gateway.http.FieldError;
import io.keyhold.gateway.http.JsonInput;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One key validator configured on a SKU: {@code format} (a regular expression the normalized key
 * must match, and an optional checksum) or {@code http} (an issuer's check-only endpoint). Stored
 * as JSON in {@code skus.validators}; merchant-adapters runs them.
 *
 * @param type {@code format} or {@code http}
 * @param pattern the regex, for {@code format}
 * @param checksum {@code none} or {@code luhn}, for {@code format}
 * @param url the check endpoint, for {@code http}
 */
public record ValidatorSpec(String type, String pattern, String checksum, String url) {
  public static final String FORMAT = "format";
  public static final String HTTP = "http";
  public static final Set<String> TYPES = Set.of(FORMAT, HTTP);
  public static final Set<String> CHECKSUMS = Set.of("none", "luhn");
  public static final int PATTERN_LENGTH_MAX = 256;

  static final Set<String> FIELDS = Set.of("type", "pattern", "checksum", "url");

  public ValidatorSpec {
    Objects.requireNonNull(type, "type");
  }

  /** Reads one element of {@code validators}; null after recording errors in {@code in}. */
  static ValidatorSpec read(JsonInput in) {
    String type = in.requiredString("type", 1, 16);
    if (type == null) {
      return null;
    }
    if (FORMAT.equals(type)) {
      String pattern = in.requiredString("pattern", 1, PATTERN_LENGTH_MAX);
      if (pattern != null) {
        try {
          Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
          in.reject("pattern", FieldError.Code.INVALID_FORMAT, "must be a valid regular expression");
        }
      }
      String checksum = in.optionalString("checksum", 1, 16);
      if (checksum != null && !CHECKSUMS.contains(checksum)) {
        in.reject("checksum", FieldError.Code.INVALID_VALUE, "must be one of " + CHECKSUMS);
      }
      if (in.has("url")) {
        in.reject("url", FieldError.Code.UNKNOWN_FIELD, "is only for http validators");
      }
      return new ValidatorSpec(FORMAT, pattern, checksum == null ? "none" : checksum, null);
    }
    if (HTTP.equals(type)) {
      String url = in.requiredString("url", 1, AdminRoutes.URL_LENGTH_MAX);
      if (url != null && !AdminRoutes.isHttpUrl(url)) {
        in.reject("url", FieldError.Code.INVALID_FORMAT, "must be an absolute http or https URL");
      }
      if (in.has("pattern") || in.has("checksum")) {
        in.reject(in.has("pattern") ? "pattern" : "checksum", FieldError.Code.UNKNOWN_FIELD,
            "is only for format validators");
      }
      return new ValidatorSpec(HTTP, null, null, url);
    }
    in.reject("type", FieldError.Code.INVALID_VALUE, "must be one of " + TYPES);
    return null;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("type", type);
    if (pattern != null) {
      json.put("pattern", pattern);
    }
    if (checksum != null) {
      json.put("checksum", checksum);
    }
    if (url != null) {
      json.put("url", url);
    }
    return json;
  }

  static ValidatorSpec fromJson(JsonObject json) {
    return new ValidatorSpec(json.getString("type"), json.getString("pattern"), json.getString("checksum"),
        json.getString("url"));
  }
}
