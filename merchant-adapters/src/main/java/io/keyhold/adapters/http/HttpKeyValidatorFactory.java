package io.keyhold.adapters.http;

import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.adapters.spi.KeyValidatorFactory;
import io.vertx.core.Future;

/** Creates {@link HttpKeyValidator}s, validator type {@value #TYPE}. Registered in META-INF/services. */
public final class HttpKeyValidatorFactory implements KeyValidatorFactory {

  /** The validator type named in configuration. */
  public static final String TYPE = "http";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Future<KeyValidator> create(AdapterContext context) {
    try {
      return Future.succeededFuture(HttpKeyValidator.create(context));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
