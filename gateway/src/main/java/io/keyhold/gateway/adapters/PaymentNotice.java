package io.keyhold.gateway.adapters;

import io.keyhold.escrow.Money;
import java.time.Instant;
import java.util.Objects;

/**
 * One authentic notice from a provider about one payment.
 *
 * @param transactionId the provider's id of the payment, unique per provider (1 to 100 printable characters)
 * @param orderId the Keyhold order the payment is for
 * @param amount what was paid
 * @param status what the notice says
 * @param paidAt when the provider says the buyer paid, or null when it does not say; the payment deadline
 *     judges this time, not when the notice arrived
 */
public record PaymentNotice(String transactionId, String orderId, Money amount, Status status, Instant paidAt) {
  /** The longest transaction id accepted. */
  public static final int TRANSACTION_ID_LENGTH_MAX = 100;

  public PaymentNotice {
    Objects.requireNonNull(transactionId, "transactionId");
    Objects.requireNonNull(orderId, "orderId");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(status, "status");
    if (transactionId.isEmpty() || transactionId.length() > TRANSACTION_ID_LENGTH_MAX
        || !transactionId.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("transaction id must be 1 to " + TRANSACTION_ID_LENGTH_MAX
          + " printable ASCII characters without spaces");
    }
    if (!amount.isPositive()) {
      throw new IllegalArgumentException("amount must be greater than 0, but was " + amount);
    }
  }

  /** A notice that does not say when the buyer paid. */
  public PaymentNotice(String transactionId, String orderId, Money amount, Status status) {
    this(transactionId, orderId, amount, status, null);
  }

  /** What a notice reports; only {@link #SUCCEEDED} moves money. */
  public enum Status {
    /** The payer started paying; nothing to do yet. */
    PENDING("pending"),
    /** The money arrived. */
    SUCCEEDED("succeeded"),
    /** The payment failed; nothing arrived. */
    FAILED("failed");

    private final String code;

    Status(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }

    public static Status fromCode(String code) {
      for (Status status : values()) {
        if (status.code.equals(code)) {
          return status;
        }
      }
      throw new IllegalArgumentException("unknown payment notice status '" + code + "'");
    }
  }
}
