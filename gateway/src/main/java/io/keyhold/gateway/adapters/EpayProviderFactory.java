package io.keyhold.gateway.adapters;

import io.vertx.core.Future;

/** Creates the {@link EpayProvider} when the operator configured {@code payments.providers.epay}. */
public final class EpayProviderFactory implements PaymentProviderFactory {
  @Override
  public String id() {
    return EpayProvider.ID;
  }

  @Override
  public boolean needsConfiguration() {
    return true;
  }

  @Override
  public Future<PaymentProvider> create(PaymentContext context) {
    try {
      return Future.succeededFuture(EpayProvider.create(context.vertx(), context.clock(), context.config()));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
  }
}
