package io.keyhold.gateway.adapters;

import io.vertx.core.Future;

/**
 * Creates a {@link PaymentProvider}. Found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/io.keyhold.gateway.adapters.PaymentProviderFactory}, so a provider can ship
 * as its own jar; needs a public no-argument constructor.
 */
public interface PaymentProviderFactory {

  /** The id of the provider it creates (see {@link PaymentProvider#id()}). */
  String id();

  /**
   * Whether the provider exists only when the operator configured it ({@code payments.providers.<id>} in the
   * gateway's config): a factory shipped with the gateway for a remote site has nothing to talk to otherwise.
   */
  default boolean needsConfiguration() {
    return false;
  }

  /** Creates the provider; a bad configuration fails the {@code Future} naming the field (never a secret). */
  Future<PaymentProvider> create(PaymentContext context);
}
