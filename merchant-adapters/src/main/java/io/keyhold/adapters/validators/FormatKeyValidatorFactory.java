package io.keyhold.adapters.validators;

import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.adapters.spi.KeyValidatorFactory;
import io.vertx.core.Future;

/** Creates {@link FormatKeyValidator}s, validator type {@value #TYPE}. Registered in META-INF/services. */
public final class FormatKeyValidatorFactory implements KeyValidatorFactory {

  /** The validator type named in configuration. */
  public static final String TYPE = "format";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Future<KeyValidator> create(AdapterContext context) {
    try {
      return Future.succeededFuture(FormatKeyValidator.fromConfig(context.config()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
