package io.keyhold.escrow;

import java.time.Instant;
import java.util.Objects;

/**
 * A payment an order received and what it did with it; lets repeated notices be recognised.
 *
 * @param paymentId the provider's transaction id
 * @param amount what was paid
 * @param use whether it funded the order or was refunded at once
 * @param receivedAt when the first notice was applied
 */
public record PaymentRecord(String paymentId, Money amount, PaymentUse use, Instant receivedAt) {

  /** Checks every field is present. */
  public PaymentRecord {
    Check.externalId("paymentId", paymentId);
    Objects.requireNonNull(amount, "amount must not be null");
    Objects.requireNonNull(use, "use must not be null");
    Objects.requireNonNull(receivedAt, "receivedAt must not be null");
  }
}
