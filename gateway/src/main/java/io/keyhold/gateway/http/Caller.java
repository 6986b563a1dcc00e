package io.keyhold.gateway.http;

import java.util.Objects;

/**
 * Who made an authenticated request: the operator or one merchant. Idempotency records and every
 * merchant query are scoped by it.
 *
 * @param kind operator or merchant
 * @param merchantId the merchant's id, or null for the operator
 */
public record Caller(Kind kind, String merchantId) {
  public Caller {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.MERCHANT) != (merchantId != null)) {
      throw new IllegalArgumentException("a merchant caller needs a merchant id, the operator none");
    }
  }

  public static final Caller ADMIN = new Caller(Kind.ADMIN, null);

  public static Caller merchant(String merchantId) {
    return new Caller(Kind.MERCHANT, merchantId);
  }

  /** The idempotency scope: {@code admin} or {@code merchant:<id>}. */
  public String scope() {
    return kind == Kind.ADMIN ? "admin" : "merchant:" + merchantId;
  }

  /** The merchant id; fails loudly for the operator (a route mounted with the wrong access). */
  public String requireMerchantId() {
    if (merchantId == null) {
      throw new IllegalStateException("this route needs a merchant caller");
    }
    return merchantId;
  }

  /** Kinds of caller, and the access a route asks for. */
  public enum Kind {
    ADMIN,
    MERCHANT
  }
}
