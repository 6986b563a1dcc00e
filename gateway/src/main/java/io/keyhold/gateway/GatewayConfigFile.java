package io.keyhold.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads the JSON config file of {@code --config} into a {@link GatewayConfig.Builder}, whose setters
 * check every value. Keys, in snake_case: {@code host}, {@code port}, {@code data_dir},
 * {@code pg_url}, {@code public_base_url}, {@code pool_max_size}, {@code pool_wait_queue_max},
 * {@code body_limit_bytes}, {@code request_timeout_ms}, {@code stock_batch_max},
 * {@code shutdown_grace_ms}, {@code event_loops}, {@code http_instances}, {@code seed_demo},
 * {@code console_session_idle_seconds}, {@code console_session_max_seconds}, {@code outbound_allow_hosts} (an array
 * of hosts), {@code engine} (see {@link io.keyhold.gateway.engine.EngineConfig.Builder#applyJson}), {@code payments}
 * ({@code checkout}: the provider the checkout page pays through; {@code providers}: each provider plug-in's
 * settings by id, e.g. {@code epay}), and
 * {@code secrets} ({@code vault_keys}, {@code fingerprint_key}, {@code evidence_seed},
 * {@code admin_token}, {@code metrics_token}). An unknown key is an error, so a typo does not pass
 * silently.
 */
public final class GatewayConfigFile {

  private static final Set<String> KEYS = Set.of("host", "port", "data_dir", "pg_url", "public_base_url",
      "pool_max_size", "pool_wait_queue_max", "body_limit_bytes", "request_timeout_ms", "stock_batch_max",
      "shutdown_grace_ms", "event_loops", "http_instances", "seed_demo", "secrets", "engine", "outbound_allow_hosts",
      "payments", "console_session_idle_seconds", "console_session_max_seconds");
  private static final Set<String> PAYMENT_KEYS = Set.of("checkout", "providers");
  private static final Set<String> SECRET_KEYS =
      Set.of("vault_keys", "fingerprint_key", "evidence_seed", "admin_token", "metrics_token");

  private GatewayConfigFile() {}

  /** Applies the file's object to {@code builder}, over what it holds so far, and returns the builder. */
  public static GatewayConfig.Builder apply(GatewayConfig.Builder builder, JsonObject json) {
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown config key '" + key + "'; known keys: " + KEYS);
      }
    }
    try {
      if (json.containsKey("host")) builder.host(json.getString("host"));
      if (json.containsKey("port")) builder.port(json.getInteger("port"));
      if (json.containsKey("data_dir")) builder.dataDir(Path.of(json.getString("data_dir")));
      if (json.containsKey("pg_url")) builder.pgUrl(json.getString("pg_url"));
      if (json.containsKey("public_base_url")) builder.publicBaseUrl(json.getString("public_base_url"));
      if (json.containsKey("pool_max_size")) builder.poolMaxSize(json.getInteger("pool_max_size"));
      if (json.containsKey("pool_wait_queue_max")) builder.poolWaitQueueMax(json.getInteger("pool_wait_queue_max"));
      if (json.containsKey("body_limit_bytes")) builder.bodyLimitBytes(json.getLong("body_limit_bytes"));
      if (json.containsKey("request_timeout_ms")) builder.requestTimeoutMs(json.getLong("request_timeout_ms"));
      if (json.containsKey("stock_batch_max")) builder.stockBatchMax(json.getInteger("stock_batch_max"));
      if (json.containsKey("shutdown_grace_ms")) builder.shutdownGraceMs(json.getLong("shutdown_grace_ms"));
      if (json.containsKey("event_loops")) builder.eventLoops(json.getInteger("event_loops"));
      if (json.containsKey("http_instances")) builder.httpInstances(json.getInteger("http_instances"));
      if (json.containsKey("seed_demo")) builder.seedDemo(json.getBoolean("seed_demo"));
      if (json.containsKey("console_session_max_seconds")) {
        builder.consoleSessionMaxSeconds(json.getLong("console_session_max_seconds"));
      }
      if (json.containsKey("console_session_idle_seconds")) {
        builder.consoleSessionIdleSeconds(json.getLong("console_session_idle_seconds"));
      }
    } catch (ClassCastException e) {
      throw new IllegalArgumentException("a config value has the wrong JSON type: " + e.getMessage());
    }
    if (json.containsKey("outbound_allow_hosts")) {
      if (!(json.getValue("outbound_allow_hosts") instanceof JsonArray hosts)
          || !hosts.stream().allMatch(String.class::isInstance)) {
        throw new IllegalArgumentException("outbound_allow_hosts must be an array of host names or IP literals");
      }
      try {
        builder.outboundAllowHosts(hosts.stream().map(String.class::cast).toList());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("outbound_allow_hosts: " + e.getMessage(), e);
      }
    }
    if (json.containsKey("engine")) {
      builder.engine(builder.engine().toBuilder().applyJson(json.getJsonObject("engine")).build());
    }
    if (json.containsKey("payments")) {
      JsonObject payments = json.getJsonObject("payments");
      for (String key : payments.fieldNames()) {
        if (!PAYMENT_KEYS.contains(key)) {
          throw new IllegalArgumentException("unknown config key 'payments." + key + "'; known: " + PAYMENT_KEYS);
        }
      }
      var engine = builder.engine().toBuilder();
      if (payments.containsKey("providers")) engine.paymentProviders(payments.getJsonObject("providers"));
      if (payments.containsKey("checkout")) engine.checkoutProvider(payments.getString("checkout"));
      builder.engine(engine.build());
    }
    if (json.containsKey("secrets")) {
      JsonObject secrets = json.getJsonObject("secrets");
      for (String key : secrets.fieldNames()) {
        if (!SECRET_KEYS.contains(key)) {
          throw new IllegalArgumentException("unknown config key 'secrets." + key + "'; known: " + SECRET_KEYS);
        }
      }
      builder.vaultKeys(secrets.getString("vault_keys", builder.vaultKeys()));
      builder.fingerprintKey(secrets.getString("fingerprint_key", builder.fingerprintKey()));
      builder.evidenceSeed(secrets.getString("evidence_seed", builder.evidenceSeed()));
      builder.adminToken(secrets.getString("admin_token", builder.adminToken()));
      builder.metricsToken(secrets.getString("metrics_token", builder.metricsToken()));
    }
    return builder;
  }
}
