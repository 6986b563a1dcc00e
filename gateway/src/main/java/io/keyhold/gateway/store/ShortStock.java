package io.keyhold.gateway.store;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers, for {@link #MEMORY}, that a SKU had fewer free keys than a checkout asked for, so the
 * crowd of a sold-out flash sale is answered "out of stock" without a reservation transaction each.
 *
 * <p>Only a hint, never a decision to sell: a key is sold only by the claim in the database. It is
 * forgotten when this instance sees keys come back (an upload, a reservation given back or expired);
 * keys that come back through another instance are seen here at most {@link #MEMORY} late.
 */
final class ShortStock {
  /** How long a shortage is believed without asking the database again. */
  static final Duration MEMORY = Duration.ofSeconds(1);
  /** SKUs remembered at most; past it the memory starts over (it is a cache, not a record). */
  static final int SKUS_MAX = 10_000;

  private record Shortage(StockVault.Shortfall found, long untilNanos) {}

  private final ConcurrentHashMap<String, Shortage> bySku = new ConcurrentHashMap<>();

  /** True while the SKU is remembered to have fewer than {@code quantity} free keys. */
  boolean isShort(String merchantId, String skuId, int quantity) {
    return shortage(merchantId, skuId, quantity) != null;
  }

  /** What the claim that came up short found, while the SKU is remembered short for {@code quantity}; else null. */
  StockVault.Shortfall knownShortfall(String merchantId, String skuId, int quantity) {
    Shortage shortage = shortage(merchantId, skuId, quantity);
    return shortage == null ? null : shortage.found;
  }

  private Shortage shortage(String merchantId, String skuId, int quantity) {
    Shortage shortage = bySku.get(key(merchantId, skuId));
    return shortage != null && shortage.untilNanos - System.nanoTime() > 0 && quantity > shortage.found.free()
        ? shortage : null;
  }

  /** A claim for more keys than were free found {@code found}. */
  void remember(String merchantId, String skuId, StockVault.Shortfall found) {
    if (bySku.size() >= SKUS_MAX) {
      bySku.clear();
    }
    bySku.put(key(merchantId, skuId), new Shortage(Objects.requireNonNull(found, "found"),
        System.nanoTime() + MEMORY.toNanos()));
  }

  void forgetSku(String merchantId, String skuId) {
    bySku.remove(key(merchantId, skuId));
  }

  /** Keys of some SKU of the merchant came back (a release names the reservation, not the SKU). */
  void forgetMerchant(String merchantId) {
    String prefix = merchantId + '/';
    bySku.keySet().removeIf(key -> key.startsWith(prefix));
  }

  private static String key(String merchantId, String skuId) {
    return merchantId + '/' + skuId;
  }
}
