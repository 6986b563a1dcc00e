package io.keyhold.adapters.spi;

import io.vertx.core.Future;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The adapter and validator factories on the class path, found with {@link ServiceLoader} and looked
 * up by type. Two factories claiming the same type is a packaging error and fails the load, naming
 * both classes, rather than picking one silently. Immutable once loaded.
 */
public final class AdapterRegistry {

  private final Map<String, MerchantAdapterFactory> adapters;
  private final Map<String, KeyValidatorFactory> validators;

  private AdapterRegistry(Map<String, MerchantAdapterFactory> adapters, Map<String, KeyValidatorFactory> validators) {
    this.adapters = Collections.unmodifiableMap(adapters);
    this.validators = Collections.unmodifiableMap(validators);
  }

  /** The factories visible to the thread's context class loader (or this class's loader if none). */
  public static AdapterRegistry load() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return load(loader != null ? loader : AdapterRegistry.class.getClassLoader());
  }

  /** The factories visible to {@code loader}. */
  public static AdapterRegistry load(ClassLoader loader) {
    Objects.requireNonNull(loader, "loader");
    return new AdapterRegistry(
        byType(ServiceLoader.load(MerchantAdapterFactory.class, loader), MerchantAdapterFactory::type),
        byType(ServiceLoader.load(KeyValidatorFactory.class, loader), KeyValidatorFactory::type));
  }

  private static <F> Map<String, F> byType(ServiceLoader<F> loader, Function<F, String> type) {
    Map<String, F> found = new TreeMap<>();
    for (F factory : loader) {
      String name = Identifiers.require("factory type of " + factory.getClass().getName(), type.apply(factory));
      F previous = found.putIfAbsent(name, factory);
      if (previous != null) {
        throw new IllegalStateException("two factories claim type '" + name + "': "
            + previous.getClass().getName() + " and " + factory.getClass().getName());
      }
    }
    return found;
  }

  /** The adapter types available. */
  public Set<String> adapterTypes() {
    return adapters.keySet();
  }

  /** The validator types available. */
  public Set<String> validatorTypes() {
    return validators.keySet();
  }

  /** The adapter factory of this type, if any. */
  public Optional<MerchantAdapterFactory> adapterFactory(String type) {
    return Optional.ofNullable(adapters.get(type));
  }

  /** The validator factory of this type, if any. */
  public Optional<KeyValidatorFactory> validatorFactory(String type) {
    return Optional.ofNullable(validators.get(type));
  }

  /**
   * Creates the adapter of this type for the context's merchant; an unknown type fails the
   * {@code Future} with an {@link IllegalArgumentException} listing the known types.
   */
  public Future<MerchantAdapter> createAdapter(String type, AdapterContext context) {
    MerchantAdapterFactory factory = adapters.get(type);
    if (factory == null) {
      return Future.failedFuture(new IllegalArgumentException(
          "no merchant adapter of type '" + type + "'; known types: " + adapters.keySet()));
    }
    return create(() -> factory.create(context));
  }

  /**
   * Creates the validator of this type; an unknown type fails the {@code Future} with an
   * {@link IllegalArgumentException} listing the known types.
   */
  public Future<KeyValidator> createValidator(String type, AdapterContext context) {
    KeyValidatorFactory factory = validators.get(type);
    if (factory == null) {
      return Future.failedFuture(new IllegalArgumentException(
          "no key validator of type '" + type + "'; known types: " + validators.keySet()));
    }
    return create(() -> factory.create(context));
  }

  /** Third-party factories may throw; the caller gets a failed Future either way. */
  private static <T> Future<T> create(Supplier<Future<T>> creation) {
    try {
      Future<T> created = creation.get();
      return created != null ? created : Future.failedFuture(new IllegalStateException("factory returned null"));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
