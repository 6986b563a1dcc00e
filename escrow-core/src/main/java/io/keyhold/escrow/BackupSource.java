package io.keyhold.escrow;

/**
 * A source a unit may be supplied from when the order's own merchant cannot deliver it: another merchant's SKU
 * that the operator linked to the order's SKU (or a second stock pool of the same merchant), snapshotted on the
 * order at checkout as the policy is. A unit tried at a backup is paid to the backup's merchant when released,
 * less that merchant's own fee ({@code feeBasisPoints}, its rate at the time of sale).
 *
 * @param merchantId the merchant that supplies from this source
 * @param skuId its SKU
 * @param feeBasisPoints the platform fee taken from what this merchant is paid, 0..10,000 bps
 */
public record BackupSource(String merchantId, String skuId, int feeBasisPoints) {

  /** Checks every value. */
  public BackupSource {
    Check.id("merchantId", merchantId);
    Check.id("skuId", skuId);
    Check.range("feeBasisPoints", feeBasisPoints, 0, Money.BASIS_POINTS_PER_WHOLE);
  }

  /** {@code <merchant>/<sku>}, as evidence names a source. */
  public String label() {
    return merchantId + "/" + skuId;
  }
}
