package io.keyhold.gateway.store;

import io.keyhold.adapters.http.HttpSettings;
import io.keyhold.gateway.crypto.KeyVault;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One key validator configured on a SKU: {@code format} (a regular expression the normalized key
 * must match, and an optional checksum) or {@code http} (an issuer's check-only endpoint, PROTOCOL.md
 * section 6, with its settings from {@link HttpSettings}). Stored as JSON in {@code skus.validators};
 * merchant-adapters runs them. An {@code http} validator's signing secrets are stored sealed in the
 * same JSON ({@link #secretsAad}), and never shown by {@link #toJson()}.
 *
 * @param type {@code format} or {@code http}
 * @param pattern the regex, for {@code format}
 * @param checksum {@code none} or {@code luhn}, for {@code format}
 * @param url the issuer's base URL, for {@code http}
 * @param timeoutMs the time limit of one check, for {@code http}; null for the default
 * @param replayWindowSeconds the signatures' replay window, for {@code http}; null for the default
 * @param sealedSecrets the issuer's signing secrets (a JSON object by name), sealed; null before the
 *     SKU is stored, and for {@code format}
 */
public record ValidatorSpec(String type, String pattern, String checksum, String url, Integer timeoutMs,
    Integer replayWindowSeconds, KeyVault.Sealed sealedSecrets) {
  public static final String FORMAT = "format";
  public static final String HTTP = "http";
  public static final Set<String> TYPES = Set.of(FORMAT, HTTP);
  public static final Set<String> CHECKSUMS = Set.of("none", "luhn");
  public static final int PATTERN_LENGTH_MAX = 256;

  private static final String SEALED_SECRETS = "sealed_secrets";

  public ValidatorSpec {
    Objects.requireNonNull(type, "type");
  }

  /** A {@code format} validator. */
  public static ValidatorSpec format(String pattern, String checksum) {
    return new ValidatorSpec(FORMAT, pattern, checksum, null, null, null, null);
  }

  /**
   * What a request asks for: the validator and, for {@code http}, its secrets in the clear, until
   * {@link Catalog#create} seals them. {@link #toString()} hides them.
   */
  public record New(ValidatorSpec spec, Map<String, String> secrets) {
    public New {
      Objects.requireNonNull(spec, "spec");
      secrets = Map.copyOf(secrets);
    }

    public static New of(ValidatorSpec spec) {
      return new New(spec, Map.of());
    }

    @Override
    public String toString() {
      return "ValidatorSpec.New[" + spec + ", secrets=" + secrets.keySet() + "]";
    }
  }

  /** The associated data sealing the secrets of validator {@code index} of one SKU binds them to. */
  public static String secretsAad(String merchantId, String skuId, int index) {
    return "sku-validator-secrets:" + merchantId + ":" + skuId + ":" + index;
  }

  /** The same validator with its secrets sealed. */
  ValidatorSpec withSealedSecrets(KeyVault.Sealed sealed) {
    return new ValidatorSpec(type, pattern, checksum, url, timeoutMs, replayWindowSeconds, sealed);
  }

  /** As shown to the merchant: every setting but the secrets. */
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
    if (timeoutMs != null) {
      json.put(HttpSettings.TIMEOUT_MS, timeoutMs);
    }
    if (replayWindowSeconds != null) {
      json.put(HttpSettings.REPLAY_WINDOW_SECONDS, replayWindowSeconds);
    }
    return json;
  }

  /** As stored: {@link #toJson()} and the sealed secrets. */
  JsonObject toStoredJson() {
    JsonObject json = toJson();
    if (sealedSecrets != null) {
      json.put(SEALED_SECRETS, new JsonObject().put("key_id", sealedSecrets.keyId())
          .put("ciphertext", Base64.getEncoder().encodeToString(sealedSecrets.ciphertext())));
    }
    return json;
  }

  static ValidatorSpec fromJson(JsonObject json) {
    JsonObject sealed = json.getJsonObject(SEALED_SECRETS);
    return new ValidatorSpec(json.getString("type"), json.getString("pattern"), json.getString("checksum"),
        json.getString("url"), json.getInteger(HttpSettings.TIMEOUT_MS),
        json.getInteger(HttpSettings.REPLAY_WINDOW_SECONDS),
        sealed == null ? null : new KeyVault.Sealed(sealed.getString("key_id"),
            Base64.getDecoder().decode(sealed.getString("ciphertext"))));
  }
}
