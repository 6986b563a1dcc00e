package io.keyhold.gateway.adapters;

import io.keyhold.escrow.Money;
import java.util.Objects;

/**
 * Compensation the gateway asks a provider to pay to the payer of one payment, from the merchant's deposit. Not a
 * refund: it may exceed what is left of the payment to refund.
 *
 * @param idempotencyKey the effect's key: the same key pays once
 * @param transactionId the payment whose payer is paid (the provider's id)
 * @param orderId the order it is for
 * @param amount how much (positive)
 */
public record PayoutRequest(String idempotencyKey, String transactionId, String orderId, Money amount) {
  public PayoutRequest {
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(transactionId, "transactionId");
    Objects.requireNonNull(orderId, "orderId");
    Objects.requireNonNull(amount, "amount");
    if (!amount.isPositive()) {
      throw new IllegalArgumentException("amount must be greater than 0, but was " + amount);
    }
  }
}
