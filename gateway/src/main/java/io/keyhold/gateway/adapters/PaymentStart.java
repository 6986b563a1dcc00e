package io.keyhold.gateway.adapters;

import io.keyhold.escrow.Money;
import java.util.Objects;

/**
 * A payment the gateway starts at a provider that {@linkplain PaymentProvider#startsPayments() starts payments}.
 *
 * @param transactionId the gateway's id of the payment at the provider (易支付's {@code out_trade_no}); the notice
 *     of the payment names it as {@link PaymentNotice#transactionId()}
 * @param orderId the order it pays
 * @param amount the order's total
 * @param description what the buyer sees at the provider
 * @param notifyUrl where the provider sends its notices
 * @param returnUrl where the provider sends the buyer back, or null
 */
public record PaymentStart(String transactionId, String orderId, Money amount, String description, String notifyUrl,
    String returnUrl) {
  public PaymentStart {
    Objects.requireNonNull(transactionId, "transactionId");
    Objects.requireNonNull(orderId, "orderId");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(notifyUrl, "notifyUrl");
  }
}
