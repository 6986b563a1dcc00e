package io.keyhold.gateway.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * API keys and tokens: generated with 256 bits of randomness, stored only as SHA-256 hashes and
 * compared in constant time.
 *
 * <p>A plain (unsalted) SHA-256 is enough because the secrets are random 256-bit values, not
 * passwords: there is nothing to guess, and an unsalted hash lets the database look a key up by its
 * hash under a unique index.
 */
public final class SecretHasher {
  /** Random bytes per generated token. */
  public static final int TOKEN_RANDOM_BYTES = 32;
  public static final int HASH_BYTES = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretHasher() {}

  /** A new token: {@code prefix} followed by 43 base64url characters. */
  public static String newToken(String prefix) {
    byte[] bytes = new byte[TOKEN_RANDOM_BYTES];
    RANDOM.nextBytes(bytes);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** SHA-256 of the UTF-8 bytes of {@code secret}. */
  public static byte[] hash(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** True when {@code presented} hashes to {@code storedHash}; constant time in the hash. */
  public static boolean matches(String presented, byte[] storedHash) {
    return presented != null && storedHash != null && MessageDigest.isEqual(hash(presented), storedHash);
  }
}
