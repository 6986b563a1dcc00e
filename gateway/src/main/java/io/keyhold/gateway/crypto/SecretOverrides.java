package io.keyhold.gateway.crypto;

/**
 * Secrets given from outside (config file or environment) instead of the generated ones kept under
 * the data folder. Any of them may be null. {@link #toString()} never shows a value.
 *
 * @param vaultKeys master keys as {@code id:base64,id:base64}; the first one seals new values
 * @param fingerprintKey base64 of at least 32 bytes; the same on every gateway of one database
 * @param evidenceSeed base64 of the 32-byte Ed25519 seed that signs evidence
 * @param adminToken the operator's bearer token, at least {@link GatewaySecrets#ADMIN_TOKEN_LENGTH_MIN}
 *     characters
 */
public record SecretOverrides(String vaultKeys, String fingerprintKey, String evidenceSeed, String adminToken) {
  public static final SecretOverrides NONE = new SecretOverrides(null, null, null, null);

  @Override
  public String toString() {
    return "SecretOverrides[vaultKeys=" + given(vaultKeys) + ", fingerprintKey=" + given(fingerprintKey)
        + ", evidenceSeed=" + given(evidenceSeed) + ", adminToken=" + given(adminToken) + "]";
  }

  private static String given(String value) {
    return value == null ? "none" : "given";
  }
}
