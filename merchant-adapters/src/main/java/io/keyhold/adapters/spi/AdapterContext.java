package io.keyhold.adapters.spi;

import io.keyhold.adapters.outbound.OutboundRules;
import io.keyhold.adapters.resilience.MerchantPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one merchant's adapter or validator gets from the gateway: the Vert.x instance to run
 * on, the clock (an input, so tests move time instead of sleeping), the merchant's id, its adapter
 * configuration, its secrets, the meter registry to publish call metrics to, its resilience policy,
 * and the rules every URL it sends to must pass ({@link OutboundRules}). Immutable; built with
 * {@link #builder()}.
 *
 * <p>Adapters that keep state (the gateway's consignment {@code stock} adapter) get their storage
 * from the gateway as a typed {@linkplain #service(Class) service} placed here (a database pool, a key
 * vault): factories are created by {@link java.util.ServiceLoader} with no arguments, so this context
 * is the only way in, and this module stays free of any database.
 */
public final class AdapterContext {

  private final Vertx vertx;
  private final Clock clock;
  private final String merchantId;
  private final JsonObject config;
  private final Secrets secrets;
  private final MeterRegistry meterRegistry;
  private final MerchantPolicy policy;
  private final OutboundRules outboundRules;
  private final Map<Class<?>, Object> services;

  private AdapterContext(Builder builder) {
    this.vertx = Objects.requireNonNull(builder.vertx, "vertx must be set");
    this.clock = builder.clock;
    this.merchantId = Identifiers.require("merchantId", builder.merchantId);
    this.config = builder.config.copy();
    this.secrets = builder.secrets;
    this.meterRegistry = builder.meterRegistry != null ? builder.meterRegistry : new SimpleMeterRegistry();
    this.policy = builder.policy;
    this.outboundRules = builder.outboundRules;
    this.services = Map.copyOf(builder.services);
  }

  /** A builder; {@code vertx} and {@code merchantId} are required, the rest has defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The Vert.x instance adapters run on. */
  public Vertx vertx() {
    return vertx;
  }

  /** The clock adapters read time from (never {@code Instant.now()} directly). */
  public Clock clock() {
    return clock;
  }

  /** The merchant this context belongs to. */
  public String merchantId() {
    return merchantId;
  }

  /** A copy of the adapter's configuration (the merchant's adapter or validator section). */
  public JsonObject config() {
    return config.copy();
  }

  /** The merchant's secrets for this adapter. */
  public Secrets secrets() {
    return secrets;
  }

  /** Where call outcomes, circuit breaker states and bulkhead use are published. */
  public MeterRegistry meterRegistry() {
    return meterRegistry;
  }

  /** The limits every remote call of this merchant runs within. */
  public MerchantPolicy policy() {
    return policy;
  }

  /**
   * The rules for every URL the adapter sends to (its configuration chose them, so they are checked
   * when the adapter is built and again on the address of each connection).
   */
  public OutboundRules outboundRules() {
    return outboundRules;
  }

  /** The service of this type the gateway provided, if any. */
  public <T> Optional<T> service(Class<T> type) {
    return Optional.ofNullable(services.get(type)).map(type::cast);
  }

  /** The service of this type, or an {@link IllegalArgumentException} naming the type that is missing. */
  public <T> T requireService(Class<T> type) {
    return service(type).orElseThrow(() -> new IllegalArgumentException(
        "service " + type.getName() + " must be provided in the adapter context, but is missing"));
  }

  /** Shows ids, secret names and service types, never secret values. */
  @Override
  public String toString() {
    return "AdapterContext[merchantId=" + merchantId + ", secrets=" + secrets + ", services="
        + services.keySet().stream().map(Class::getSimpleName).sorted().toList() + ", policy=" + policy + "]";
  }

  /** Builds an {@link AdapterContext}. Not thread-safe; each {@link #build()} makes a new context. */
  public static final class Builder {
    private Vertx vertx;
    private Clock clock = Clock.systemUTC();
    private String merchantId;
    private JsonObject config = new JsonObject();
    private Secrets secrets = Secrets.none();
    private MeterRegistry meterRegistry;
    private MerchantPolicy policy = MerchantPolicy.defaults();
    private OutboundRules outboundRules = OutboundRules.publicHttpsOnly();
    private final Map<Class<?>, Object> services = new HashMap<>();

    private Builder() {}

    /** The Vert.x instance (required). */
    public Builder vertx(Vertx vertx) {
      this.vertx = Objects.requireNonNull(vertx, "vertx");
      return this;
    }

    /** The clock; the system UTC clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The merchant's id (required). */
    public Builder merchantId(String merchantId) {
      this.merchantId = merchantId;
      return this;
    }

    /** The adapter's configuration; empty by default. Copied. */
    public Builder config(JsonObject config) {
      this.config = Objects.requireNonNull(config, "config").copy();
      return this;
    }

    /** The adapter's secrets; none by default. */
    public Builder secrets(Secrets secrets) {
      this.secrets = Objects.requireNonNull(secrets, "secrets");
      return this;
    }

    /** The meter registry; a private {@code SimpleMeterRegistry} by default. */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /** The resilience policy; {@link MerchantPolicy#defaults()} by default. */
    public Builder policy(MerchantPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The outbound URL rules; {@link OutboundRules#publicHttpsOnly()} by default. */
    public Builder outboundRules(OutboundRules outboundRules) {
      this.outboundRules = Objects.requireNonNull(outboundRules, "outboundRules");
      return this;
    }

    /**
     * Hands the adapter a service of the gateway's (a database pool, a key vault), found again with
     * {@link AdapterContext#service(Class)}. One instance per type.
     */
    public <T> Builder service(Class<T> type, T instance) {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(instance, "instance");
      if (services.putIfAbsent(type, type.cast(instance)) != null) {
        throw new IllegalArgumentException("service " + type.getName() + " was provided twice");
      }
      return this;
    }

    /** The context; rejects a missing Vert.x or a malformed merchant id. */
    public AdapterContext build() {
      return new AdapterContext(this);
    }
  }
}
