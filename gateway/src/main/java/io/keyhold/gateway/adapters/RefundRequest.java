package io.keyhold.gateway.adapters;

import io.keyhold.escrow.Money;
import java.util.Objects;

/**
 * A refund the gateway asks a provider for.
 *
 * @param idempotencyKey the effect's key: the same key refunds once
 * @param transactionId the payment to refund (the provider's id)
 * @param orderId the order it was for
 * @param amount how much to return (positive, at most what was paid)
 * @param reason escrow-core's refund reason code
 */
public record RefundRequest(String idempotencyKey, String transactionId, String orderId, Money amount, String reason) {
  public RefundRequest {
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(transactionId, "transactionId");
    Objects.requireNonNull(orderId, "orderId");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(reason, "reason");
    if (!amount.isPositive()) {
      throw new IllegalArgumentException("amount must be greater than 0, but was " + amount);
    }
  }
}
