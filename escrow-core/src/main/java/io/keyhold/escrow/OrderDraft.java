package io.keyhold.escrow;

import java.util.List;
import java.util.Objects;

/**
 * What a new order is made of; {@link Order#place(OrderDraft, java.time.Instant)} turns it into an
 * order awaiting payment. The gateway reserves stock before placing.
 *
 * @param id the order id (also part of account names and idempotency keys: 1..64 of [A-Za-z0-9._-])
 * @param merchantId the merchant selling
 * @param skuId the SKU sold
 * @param quantity number of units (keys), 1..{@link Order#QUANTITY_MAX}
 * @param unitPrice the price of one unit, positive
 * @param feeBasisPoints the platform's fee for this merchant, 0..10,000 bps
 * @param policy the SKU's terms at the time of sale
 * @param backups the SKU's backup sources at the time of sale, in the order they are tried
 */
public record OrderDraft(
    String id, String merchantId, String skuId, int quantity, Money unitPrice, int feeBasisPoints,
    SkuPolicy policy, List<BackupSource> backups) {

  /** A draft without backup sources. */
  public OrderDraft(String id, String merchantId, String skuId, int quantity, Money unitPrice, int feeBasisPoints,
      SkuPolicy policy) {
    this(id, merchantId, skuId, quantity, unitPrice, feeBasisPoints, policy, List.of());
  }

  /** Checks every value, including that the total fits in a {@code long}. */
  public OrderDraft {
    Check.id("id", id);
    Check.id("merchantId", merchantId);
    Check.id("skuId", skuId);
    Check.range("quantity", quantity, 1, Order.QUANTITY_MAX);
    Objects.requireNonNull(unitPrice, "unitPrice must not be null");
    if (!unitPrice.isPositive()) {
      throw new IllegalArgumentException("unitPrice must be greater than 0, but was " + unitPrice);
    }
    unitPrice.times(quantity);
    Check.range("feeBasisPoints", feeBasisPoints, 0, Money.BASIS_POINTS_PER_WHOLE);
    Objects.requireNonNull(policy, "policy must not be null");
    backups = List.copyOf(backups);
    Order.checkBackups(merchantId, skuId, backups);
  }
}
