package io.keyhold.adapters.http;

import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.MerchantAdapterFactory;
import io.vertx.core.Future;

/** Creates {@link HttpMerchantAdapter}s, adapter type {@value #TYPE}. Registered in META-INF/services. */
public final class HttpMerchantAdapterFactory implements MerchantAdapterFactory {

  /** The adapter type merchants name in their configuration. */
  public static final String TYPE = "http";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Future<MerchantAdapter> create(AdapterContext context) {
    try {
      return Future.succeededFuture(HttpMerchantAdapter.create(context));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
