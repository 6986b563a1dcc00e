package io.keyhold.simulator.env;

import io.keyhold.adapters.reference.ReferenceMerchant;
import io.vertx.core.Future;

/**
 * One shop of the run, set up through the operator and merchant API: a merchant with one SKU.
 *
 * @param index 0-based, as buyer plans name shops
 * @param kind {@code stock} (keys uploaded to the gateway) or {@code http} (a reference merchant)
 * @param merchantId {@code mer_...}
 * @param apiKey the merchant's API key; never logged
 * @param skuId {@code sku_...}
 * @param keys keys for sale (good ones for a stock shop; the reference merchant's stock for an http shop)
 * @param remote the reference merchant behind an http shop, or null
 */
public record Shop(int index, String kind, String merchantId, String apiKey, String skuId, int keys,
    ReferenceMerchant remote) {
  public static final String STOCK = "stock";
  public static final String HTTP = "http";

  /** Stops the shop's server for good (an outage); a stock shop has none and nothing happens. */
  public Future<Void> stop() {
    return remote == null ? Future.succeededFuture() : remote.close();
  }

  @Override
  public String toString() {
    return "Shop[" + index + ", " + kind + ", " + merchantId + ", " + skuId + ", " + keys + " keys, apiKey=redacted]";
  }
}
