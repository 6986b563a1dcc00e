package io.keyhold.gateway.api;

import java.util.Objects;

/**
 * Who made an authenticated request: the operator, one merchant, the buyer of one order, or anyone
 * (public pages, provider notices). Idempotency records and every merchant query are scoped by it.
 *
 * @param kind operator, merchant, buyer or public
 * @param merchantId the merchant's id, or null for the others
 * @param orderId for a buyer, the order whose token was shown; null for the others
 */
public record Caller(Kind kind, String merchantId, String orderId) {
  public Caller {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.MERCHANT) != (merchantId != null)) {
      throw new IllegalArgumentException("a merchant caller needs a merchant id, other callers none");
    }
    if ((kind == Kind.BUYER) != (orderId != null)) {
      throw new IllegalArgumentException("a buyer caller needs an order id, other callers none");
    }
  }

  public static final Caller ADMIN = new Caller(Kind.ADMIN, null, null);
  /** Anyone: the route asks for no credentials. */
  public static final Caller PUBLIC = new Caller(Kind.PUBLIC, null, null);

  public static Caller merchant(String merchantId) {
    return new Caller(Kind.MERCHANT, merchantId, null);
  }

  /** The holder of the token of order {@code orderId}. */
  public static Caller buyer(String orderId) {
    return new Caller(Kind.BUYER, null, orderId);
  }

  /**
   * The idempotency scope: {@code admin}, {@code merchant:<id>} or {@code buyer:<order id>};
   * {@code public} is never used, since {@link Endpoints} ignores the key for public callers.
   */
  public String scope() {
    return switch (kind) {
      case ADMIN -> "admin";
      case MERCHANT -> "merchant:" + merchantId;
      case BUYER -> "buyer:" + orderId;
      case PUBLIC -> "public";
    };
  }

  /** The merchant id; fails loudly for other callers (a route mounted with the wrong access). */
  public String requireMerchantId() {
    if (merchantId == null) {
      throw new IllegalStateException("this route needs a merchant caller");
    }
    return merchantId;
  }

  /** The order id of a buyer caller; fails loudly for other callers. */
  public String requireOrderId() {
    if (orderId == null) {
      throw new IllegalStateException("this route needs a buyer caller");
    }
    return orderId;
  }

  /** Kinds of caller, and the access a route asks for. */
  public enum Kind {
    ADMIN,
    MERCHANT,
    /** The order token of the order named by the path parameter {@code id}. */
    BUYER,
    /** No credentials; an Idempotency-Key is ignored, there being no caller to scope a stored answer by. */
    PUBLIC
  }
}
