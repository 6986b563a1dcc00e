package io.keyhold.gateway.store;

import io.keyhold.gateway.crypto.SecretHasher;

/**
 * Buyer order tokens: 256 random bits behind the prefix {@value #PREFIX}, handed to the buyer once
 * (in the order link), stored as SHA-256 only ({@code orders.token_hash}).
 */
public final class OrderTokens {
  public static final String PREFIX = "kht_";
  /** Generated tokens are 47 characters; anything much longer is not ours. */
  public static final int TOKEN_LENGTH_MAX = 100;

  private OrderTokens() {}

  /** A new token. */
  public static String newToken() {
    return SecretHasher.newToken(PREFIX);
  }

  /** What the store keeps of a token. */
  public static byte[] hash(String token) {
    return SecretHasher.hash(token);
  }
}
