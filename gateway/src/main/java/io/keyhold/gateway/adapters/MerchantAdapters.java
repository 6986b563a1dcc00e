package io.keyhold.gateway.adapters;

import io.keyhold.adapters.http.HttpMerchantAdapterFactory;
import io.keyhold.adapters.http.HttpSettings;
import io.keyhold.adapters.outbound.OutboundRules;
import io.keyhold.adapters.resilience.MerchantPolicy;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterRegistry;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.gateway.crypto.KeyVault;
import io.keyhold.gateway.store.ContextFutures;
import io.keyhold.gateway.store.Sku;
import io.keyhold.gateway.store.ValidatorSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each merchant's {@link MerchantAdapter} and each SKU's {@link KeyValidator}s, built on first use
 * and kept (up to {@value #CACHED_MAX} of each; past that the least recently used is dropped and
 * built again when next needed).
 *
 * <p>A merchant's adapter type and configuration come from its row ({@code merchants.adapter_type},
 * the sealed {@code adapter_config}). The built-in {@code stock} type is built here with the
 * database; any other type is looked up in the {@link AdapterRegistry} ({@code ServiceLoader}).
 * Members of the configuration named in {@link #SECRET_NAMES} ({@code signing_secret} and
 * {@code signing_secret_next}, which sign the merchant protocol) are handed to adapters as
 * {@link Secrets}, never as configuration; an {@code http} adapter's {@code timeout_ms} becomes its
 * policy's time limit. A SKU's {@code http} validator gets its own settings and the secrets sealed
 * with it ({@link ValidatorSpec}). Every adapter and validator sends only under the gateway's
 * {@link OutboundRules}, and publishes its call, breaker and bulkhead metrics to the gateway's meter
 * registry.
 */
public final class MerchantAdapters {
  /** Adapters (and validator sets) kept at most. */
  public static final int CACHED_MAX = 10_000;
  static final Set<String> SECRET_NAMES = HttpSettings.SECRET_NAMES;
  /**
   * Secrets an earlier version kept in a merchant's configuration for its SKUs' issuer checks (now
   * given on each validator): dropped when read, never handed on as configuration, which may be shown.
   */
  static final Set<String> RETIRED_SECRET_NAMES = Set.of("issuer_secret", "issuer_secret_next");

  private static final Logger LOG = LoggerFactory.getLogger(MerchantAdapters.class);
  private static final String MERCHANT = "SELECT adapter_type, adapter_config_key_id, adapter_config_sealed"
      + " FROM merchants WHERE id = $1";

  private final Vertx vertx;
  private final Pool pool;
  private final KeyVault vault;
  private final AdapterRegistry registry;
  private final StockAdapter.Factory stock;
  private final MeterRegistry meters;
  private final Clock clock;
  private final OutboundRules outboundRules;
  private final Map<String, Future<MerchantAdapter>> adapters = lru();
  private final Map<String, Future<List<KeyValidator>>> validators = lru();

  public MerchantAdapters(Vertx vertx, Pool pool, KeyVault vault, AdapterRegistry registry, StockAdapter.Factory stock,
      MeterRegistry meters, Clock clock, OutboundRules outboundRules) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.vault = Objects.requireNonNull(vault, "vault");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.stock = Objects.requireNonNull(stock, "stock");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.outboundRules = Objects.requireNonNull(outboundRules, "outboundRules");
  }

  /** The adapter types a merchant may name. */
  public Set<String> types() {
    Set<String> types = new java.util.TreeSet<>(registry.adapterTypes());
    types.add(StockAdapter.TYPE);
    return types;
  }

  /**
   * The merchant's adapter; a failed build is not kept, so the next call tries again. Answered on the
   * caller's context: the kept future belongs to the event loop that built it ({@link ContextFutures}).
   */
  public Future<MerchantAdapter> adapterOf(String merchantId) {
    synchronized (adapters) {
      Future<MerchantAdapter> known = adapters.get(merchantId);
      if (known != null) {
        return ContextFutures.onCaller(known);
      }
      Future<MerchantAdapter> created = setup(merchantId).compose(setup -> {
        boolean http = HttpMerchantAdapterFactory.TYPE.equals(setup.type());
        Integer timeoutMs = http ? setup.config().getInteger(HttpSettings.TIMEOUT_MS) : null;
        AdapterContext context = context(merchantId, setup.config(), setup.secrets().isEmpty()
            ? Secrets.none() : Secrets.of(setup.secrets()), timeoutMs);
        return StockAdapter.TYPE.equals(setup.type())
            ? stock.create(context)
            : registry.createAdapter(setup.type(), context);
      });
      adapters.put(merchantId, created);
      created.onFailure(failure -> {
        synchronized (adapters) {
          adapters.remove(merchantId, created);
        }
        LOG.warn("could not build the adapter of merchant {}: {}", merchantId, failure.getMessage());
      });
      return ContextFutures.onCaller(created);
    }
  }

  /**
   * The validators of the SKU, in its order. A validator that cannot be built is left out and
   * logged: the SKU then cannot be judged VALID by it, see {@link #UNBUILDABLE}. Answered on the caller's
   * context, as {@link #adapterOf} is.
   */
  public Future<List<KeyValidator>> validatorsOf(Sku sku) {
    String cacheKey = sku.merchantId() + "/" + sku.id();
    synchronized (validators) {
      Future<List<KeyValidator>> known = validators.get(cacheKey);
      if (known != null) {
        return ContextFutures.onCaller(known);
      }
      Future<List<KeyValidator>> created = sku.validators().isEmpty()
          ? Future.succeededFuture(List.of())
          : buildValidators(sku);
      validators.put(cacheKey, created);
      created.onFailure(failure -> {
        synchronized (validators) {
          validators.remove(cacheKey, created);
        }
      });
      return ContextFutures.onCaller(created);
    }
  }

  /** Stands in for a validator that could not be built: it always answers UNKNOWN (fail-closed). */
  static final KeyValidator UNBUILDABLE = (skuId, key) -> Future.succeededFuture(io.keyhold.escrow.KeyVerdict.UNKNOWN);

  private Future<List<KeyValidator>> buildValidators(Sku sku) {
    List<Future<KeyValidator>> built = new ArrayList<>();
    for (int i = 0; i < sku.validators().size(); i++) {
      ValidatorSpec spec = sku.validators().get(i);
      Future<KeyValidator> validator;
      try {
        validator = registry.createValidator(spec.type(), validatorContext(sku, i, spec));
      } catch (RuntimeException e) {
        // Secrets that do not open (another vault key, a row changed by hand) are a validator that cannot run.
        validator = Future.failedFuture(e);
      }
      built.add(validator.recover(failure -> {
        LOG.warn("validator {} of SKU {} could not be built ({}); its keys stay unknown until fixed",
            spec.type(), sku.id(), failure.getMessage());
        return Future.succeededFuture(UNBUILDABLE);
      }));
    }
    return Future.all(built).map(all -> {
      List<KeyValidator> list = new ArrayList<>();
      built.forEach(f -> list.add(f.result()));
      return list;
    });
  }

  /** The context of validator {@code index} of the SKU: its settings, and its secrets opened. */
  private AdapterContext validatorContext(Sku sku, int index, ValidatorSpec spec) {
    if (ValidatorSpec.FORMAT.equals(spec.type())) {
      JsonObject config = new JsonObject().put("default", new JsonObject().put("pattern", spec.pattern())
          .put("checksum", spec.checksum() == null ? "none" : spec.checksum()));
      return context(sku.merchantId(), config, Secrets.none(), null);
    }
    JsonObject config = new JsonObject().put(HttpSettings.BASE_URL, spec.url());
    if (spec.replayWindowSeconds() != null) {
      config.put(HttpSettings.REPLAY_WINDOW_SECONDS, spec.replayWindowSeconds());
    }
    Secrets secrets = Secrets.none();
    if (spec.sealedSecrets() != null) {
      JsonObject opened = new JsonObject(vault.openString(spec.sealedSecrets(),
          ValidatorSpec.secretsAad(sku.merchantId(), sku.id(), index)));
      Map<String, String> byName = new LinkedHashMap<>();
      opened.forEach(entry -> byName.put(entry.getKey(), String.valueOf(entry.getValue())));
      secrets = Secrets.of(byName);
    }
    return context(sku.merchantId(), config, secrets, spec.timeoutMs());
  }

  private AdapterContext context(String merchantId, JsonObject config, Secrets secrets, Integer timeoutMs) {
    return AdapterContext.builder()
        .vertx(vertx)
        .clock(clock)
        .merchantId(merchantId)
        .config(config)
        .secrets(secrets)
        .meterRegistry(meters)
        .outboundRules(outboundRules)
        .policy(timeoutMs == null ? MerchantPolicy.defaults() : MerchantPolicy.defaults().toBuilder()
            .timeoutMs(timeoutMs).build())
        .build();
  }

  private record Setup(String type, JsonObject config, Map<String, String> secrets) {
    @Override
    public String toString() {
      return "Setup[" + type + ", secrets=" + secrets.keySet() + "]";
    }
  }

  private Future<Setup> setup(String merchantId) {
    return pool.preparedQuery(MERCHANT).execute(Tuple.of(merchantId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new IllegalArgumentException("no merchant " + merchantId));
      }
      Row row = rows.iterator().next();
      // The associated data MerchantService seals the adapter configuration with.
      String aad = "merchant-adapter-config:" + merchantId;
      JsonObject all = new JsonObject(vault.openString(new KeyVault.Sealed(row.getString("adapter_config_key_id"),
          row.getBuffer("adapter_config_sealed").getBytes()), aad));
      Map<String, String> secrets = new LinkedHashMap<>();
      JsonObject config = new JsonObject();
      for (String name : all.fieldNames()) {
        if (RETIRED_SECRET_NAMES.contains(name)) {
          continue;
        }
        if (SECRET_NAMES.contains(name)) {
          Object value = all.getValue(name);
          if (value instanceof String text && !text.isEmpty()) {
            secrets.put(name, text);
          }
        } else {
          config.put(name, all.getValue(name));
        }
      }
      return Future.succeededFuture(new Setup(row.getString("adapter_type"), config, secrets));
    });
  }

  /** Closes every adapter and validator built. */
  public Future<Void> close() {
    List<Future<?>> closing = new ArrayList<>();
    synchronized (adapters) {
      adapters.values().forEach(f -> closing.add(f.compose(MerchantAdapter::close)
          .recover(e -> Future.succeededFuture())));
      adapters.clear();
    }
    synchronized (validators) {
      validators.values().forEach(f -> closing.add(f.compose(list -> Future.join(list.stream()
          .map(KeyValidator::close).toList())).recover(e -> Future.succeededFuture())));
      validators.clear();
    }
    return Future.join(closing).mapEmpty();
  }

  private static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > CACHED_MAX;
      }
    };
  }
}
