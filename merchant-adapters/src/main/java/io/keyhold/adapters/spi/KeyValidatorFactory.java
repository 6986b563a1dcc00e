package io.keyhold.adapters.spi;

import io.vertx.core.Future;

/**
 * Creates the {@link KeyValidator} of one validator type ({@code format}, {@code http}...). Found with
 * {@link java.util.ServiceLoader} through
 * {@code META-INF/services/io.keyhold.adapters.spi.KeyValidatorFactory}, looked up by
 * {@link #type()} in {@link AdapterRegistry}. Needs a public no-argument constructor.
 */
public interface KeyValidatorFactory {

  /** The validator type named in configuration. */
  String type();

  /**
   * Creates a validator from the context's configuration and secrets. A configuration that is missing
   * or wrong fails the {@code Future} with an {@link IllegalArgumentException} naming the field.
   */
  Future<KeyValidator> create(AdapterContext context);
}
