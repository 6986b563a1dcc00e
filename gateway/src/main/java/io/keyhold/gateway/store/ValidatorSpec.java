package io.keyhold.gateway.store;

import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.Set;

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

  public ValidatorSpec {
    Objects.requireNonNull(type, "type");
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
