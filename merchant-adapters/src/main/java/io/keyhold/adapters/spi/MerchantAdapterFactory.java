package io.keyhold.adapters.spi;

import io.vertx.core.Future;

/**
 * Creates the {@link MerchantAdapter} of one adapter type. Implementations are found with
 * {@link java.util.ServiceLoader}: a jar lists its factory in
 * {@code META-INF/services/io.keyhold.adapters.spi.MerchantAdapterFactory}, so a shop can ship its own
 * adapter without changing Keyhold. {@link AdapterRegistry} looks factories up by {@link #type()}.
 *
 * <p>A factory needs a public no-argument constructor and keeps no per-merchant state: everything a
 * merchant's adapter needs comes from the {@link AdapterContext}.
 */
public interface MerchantAdapterFactory {

  /** The adapter type merchants name in their configuration ({@code http}, {@code stock}...). */
  String type();

  /**
   * Creates the adapter of one merchant. A configuration or secret that is missing or wrong fails the
   * {@code Future} with an {@link IllegalArgumentException} naming the field (never a secret's value).
   */
  Future<MerchantAdapter> create(AdapterContext context);
}
