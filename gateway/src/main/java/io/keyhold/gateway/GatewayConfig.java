package io.keyhold.gateway;

import io.keyhold.adapters.outbound.OutboundRules;
import io.keyhold.gateway.api.Idempotency;
import io.keyhold.gateway.crypto.GatewaySecrets;
import io.keyhold.gateway.crypto.SecretOverrides;
import io.keyhold.gateway.engine.EngineConfig;
import io.keyhold.gateway.store.ConsoleSessions;
import io.keyhold.gateway.store.Range;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the gateway is started with. Immutable; built by {@link Builder}, which rejects a bad
 * value and names it. {@link #toString()} shows no secret.
 *
 * <p>Sources, later ones winning: the defaults below, a JSON config file ({@link GatewayConfigFile},
 * keys in snake_case as listed there), the environment ({@link Builder#applyEnvironment}), then
 * command-line flags.
 */
public final class GatewayConfig {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  public static final Path DEFAULT_DATA_DIR = Path.of("keyhold-data");
  /** About 16 connections were best on 2 cores; more only queue (docs/architecture.md, "Storage rules"). */
  public static final int DEFAULT_POOL_MAX_SIZE = 16;
  public static final int POOL_MAX_SIZE_MAX = 256;
  /** Queries waiting for a connection before the gateway answers 503 overloaded. */
  public static final int DEFAULT_POOL_WAIT_QUEUE_MAX = 512;
  public static final int POOL_WAIT_QUEUE_MAX_MAX = 100_000;
  /** Fits a stock upload of {@link #DEFAULT_STOCK_BATCH_MAX} keys of the longest allowed length. */
  public static final long DEFAULT_BODY_LIMIT_BYTES = 512 * 1024;
  public static final long BODY_LIMIT_BYTES_MIN = 1024;
  public static final long BODY_LIMIT_BYTES_MAX = 16 * 1024 * 1024;
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
  public static final long REQUEST_TIMEOUT_MS_MIN = 100;
  public static final int DEFAULT_STOCK_BATCH_MAX = 1000;
  /** The OpenAPI document caps an upload at 1000 keys; config may only lower it. */
  public static final int STOCK_BATCH_MAX_MAX = 1000;
  public static final long DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
  public static final long SHUTDOWN_GRACE_MS_MAX = 300_000;
  /**
   * One event loop per core, not Vert.x's two: on the flash-sale bench (2 cores) twice the cores cost ~14 % more
   * gateway CPU per lifecycle (7.0 ms against 6.1): four loops take turns on two cores, and each turn gathers less work
   * (docs/operations.md).
   */
  public static final int DEFAULT_EVENT_LOOPS = Runtime.getRuntime().availableProcessors();
  /** The bound catches a typo, not a tuning choice. */
  public static final int EVENT_LOOPS_MAX = 256;
  /** Servers past the event loops only share them; the bound catches a typo, not a tuning choice. */
  public static final int HTTP_INSTANCES_MAX = 256;

  public static final String ENV_PG_URL = "KEYHOLD_PG_URL";
  public static final String ENV_ADMIN_TOKEN = "KEYHOLD_ADMIN_TOKEN";
  public static final String ENV_VAULT_KEYS = "KEYHOLD_VAULT_KEYS";
  public static final String ENV_FINGERPRINT_KEY = "KEYHOLD_FINGERPRINT_KEY";
  public static final String ENV_EVIDENCE_SEED = "KEYHOLD_EVIDENCE_SEED";
  public static final String ENV_METRICS_TOKEN = "KEYHOLD_METRICS_TOKEN";
  /** The 易支付 merchant key, over {@code payments.providers.epay.key} of the config file. */
  public static final String ENV_EPAY_KEY = "KEYHOLD_EPAY_KEY";
  /** The 易支付 merchant's RSA private key, over {@code payments.providers.epay.merchant_private_key}. */
  public static final String ENV_EPAY_PRIVATE_KEY = "KEYHOLD_EPAY_MERCHANT_PRIVATE_KEY";
  /** As long as the admin token at least: it guards the same operational details. */
  public static final int METRICS_TOKEN_LENGTH_MIN = GatewaySecrets.ADMIN_TOKEN_LENGTH_MIN;

  private final String host;
  private final int port;
  private final Path dataDir;
  private final String pgUrl;
  private final String publicBaseUrl;
  private final int poolMaxSize;
  private final int poolWaitQueueMax;
  private final long bodyLimitBytes;
  private final long requestTimeoutMs;
  private final int stockBatchMax;
  private final long shutdownGraceMs;
  private final int eventLoops;
  /** As set; null: one per event loop. */
  private final Integer httpInstances;
  private final boolean seedDemo;
  private final SecretOverrides secrets;
  private final String metricsToken;
  private final Clock clock;
  private final EngineConfig engine;
  private final OutboundRules outboundRules;
  private final ConsoleSessions.Lifetimes consoleSessions;

  private GatewayConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.dataDir = b.dataDir;
    this.pgUrl = b.pgUrl;
    this.publicBaseUrl = b.publicBaseUrl;
    this.poolMaxSize = b.poolMaxSize;
    this.poolWaitQueueMax = b.poolWaitQueueMax;
    this.bodyLimitBytes = b.bodyLimitBytes;
    this.requestTimeoutMs = b.requestTimeoutMs;
    this.stockBatchMax = b.stockBatchMax;
    this.shutdownGraceMs = b.shutdownGraceMs;
    this.eventLoops = b.eventLoops;
    this.httpInstances = b.httpInstances;
    this.seedDemo = b.seedDemo;
    this.secrets = new SecretOverrides(b.vaultKeys, b.fingerprintKey, b.evidenceSeed, b.adminToken);
    this.metricsToken = b.metricsToken;
    this.clock = b.clock;
    this.engine = b.engine;
    this.outboundRules = b.outboundRules;
    this.consoleSessions = b.consoleSessions;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The address the HTTP server binds; loopback unless opened on purpose. */
  public String host() {
    return host;
  }

  /** The HTTP port; 0 picks a free one (tests). */
  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The database URL, or null for the embedded PostgreSQL under {@code <data-dir>/pg}. */
  public String pgUrl() {
    return pgUrl;
  }

  /** The base of links the gateway hands out, or null for {@code http://localhost:<port>}. */
  public String publicBaseUrl() {
    return publicBaseUrl;
  }

  public int poolMaxSize() {
    return poolMaxSize;
  }

  public int poolWaitQueueMax() {
    return poolWaitQueueMax;
  }

  public long bodyLimitBytes() {
    return bodyLimitBytes;
  }

  public long requestTimeoutMs() {
    return requestTimeoutMs;
  }

  /** Most card keys one stock upload may carry. */
  public int stockBatchMax() {
    return stockBatchMax;
  }

  public long shutdownGraceMs() {
    return shutdownGraceMs;
  }

  /** The event loops every socket runs on (HTTP and PostgreSQL): one per core by default. */
  public int eventLoops() {
    return eventLoops;
  }

  /** HTTP servers on the one host and port, each on an event loop of its own (Vert.x spreads connections). */
  public int httpInstances() {
    // One HTTP server per event loop unless told: one server alone serves every request on one loop, one core.
    return httpInstances != null ? httpInstances : eventLoops;
  }

  /** Whether the first start seeds a demo merchant, SKU and stock. */
  public boolean seedDemo() {
    return seedDemo;
  }

  public SecretOverrides secrets() {
    return secrets;
  }

  /**
   * A second bearer token that reads {@code /metrics} and nothing else, for a scraper that should not hold
   * the admin token; null when only the admin token reads them.
   */
  public String metricsToken() {
    return metricsToken;
  }

  /** The clock every deadline is computed with; tests move it. */
  public Clock clock() {
    return clock;
  }

  /** The order engine's pacing and limits (sweeper, outbox, sandbox payments). */
  public EngineConfig engine() {
    return engine;
  }

  /**
   * Hosts merchant-chosen URLs (webhooks, shops, issuers) may point to although they are not public
   * {@code https}: by default none. See {@link OutboundRules}.
   */
  public Set<String> outboundAllowHosts() {
    return outboundRules.allowedHosts();
  }

  /** The rules every merchant-chosen URL must pass, when given and when connected to. */
  public OutboundRules outboundRules() {
    return outboundRules;
  }

  /** How long console sessions last (config {@code console_session_idle_seconds}, {@code console_session_max_seconds}). */
  public ConsoleSessions.Lifetimes consoleSessions() {
    return consoleSessions;
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.dataDir = dataDir;
    b.pgUrl = pgUrl;
    b.publicBaseUrl = publicBaseUrl;
    b.poolMaxSize = poolMaxSize;
    b.poolWaitQueueMax = poolWaitQueueMax;
    b.bodyLimitBytes = bodyLimitBytes;
    b.requestTimeoutMs = requestTimeoutMs;
    b.stockBatchMax = stockBatchMax;
    b.shutdownGraceMs = shutdownGraceMs;
    b.eventLoops = eventLoops;
    b.httpInstances = httpInstances;
    b.seedDemo = seedDemo;
    b.vaultKeys = secrets.vaultKeys();
    b.fingerprintKey = secrets.fingerprintKey();
    b.evidenceSeed = secrets.evidenceSeed();
    b.adminToken = secrets.adminToken();
    b.metricsToken = metricsToken;
    b.clock = clock;
    b.engine = engine;
    b.outboundRules = outboundRules;
    b.consoleSessions = consoleSessions;
    return b;
  }

  @Override
  public String toString() {
    return "GatewayConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir
        + ", database=" + (pgUrl == null ? "embedded" : "url given") + ", poolMaxSize=" + poolMaxSize
        + ", poolWaitQueueMax=" + poolWaitQueueMax + ", bodyLimitBytes=" + bodyLimitBytes
        + ", requestTimeoutMs=" + requestTimeoutMs + ", stockBatchMax=" + stockBatchMax
        + ", shutdownGraceMs=" + shutdownGraceMs + ", eventLoops=" + eventLoops + ", httpInstances=" + httpInstances()
        + ", seedDemo=" + seedDemo + ", outboundAllowHosts="
        + outboundRules.allowedHosts() + ", " + secrets + ", metricsToken=" + (metricsToken == null ? "none" : "given")
        + ", " + engine + "]";
  }

  /** Builds a {@link GatewayConfig}; every setter checks its value at once. */
  public static final class Builder {
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private Path dataDir = DEFAULT_DATA_DIR;
    private String pgUrl;
    private String publicBaseUrl;
    private int poolMaxSize = DEFAULT_POOL_MAX_SIZE;
    private int poolWaitQueueMax = DEFAULT_POOL_WAIT_QUEUE_MAX;
    private long bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES;
    private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
    private int stockBatchMax = DEFAULT_STOCK_BATCH_MAX;
    private long shutdownGraceMs = DEFAULT_SHUTDOWN_GRACE_MS;
    private int eventLoops = DEFAULT_EVENT_LOOPS;
    /** Null: one per event loop. */
    private Integer httpInstances;
    private boolean seedDemo = true;
    private String vaultKeys;
    private String fingerprintKey;
    private String evidenceSeed;
    private String adminToken;
    private String metricsToken;
    private Clock clock = Clock.systemUTC();
    private EngineConfig engine = EngineConfig.defaults();
    private OutboundRules outboundRules = OutboundRules.publicHttpsOnly();
    private ConsoleSessions.Lifetimes consoleSessions = ConsoleSessions.Lifetimes.DEFAULTS;

    private Builder() {}

    public Builder host(String value) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("host must not be blank, but was '" + value + "'");
      }
      this.host = value;
      return this;
    }

    public Builder port(int value) {
      Range.check("port", value, 0, 65535);
      this.port = value;
      return this;
    }

    public Builder dataDir(Path value) {
      this.dataDir = Objects.requireNonNull(value, "dataDir");
      return this;
    }

    /** A {@code postgres://} or {@code jdbc:postgresql://} URL; null or blank for embedded. */
    public Builder pgUrl(String value) {
      if (value != null && !value.isBlank()
          && !value.matches("(jdbc:postgresql|postgres|postgresql)://.+")) {
        // The URL may hold a password: say what is wrong without echoing it.
        throw new IllegalArgumentException(
            "pg url must start with postgres://, postgresql:// or jdbc:postgresql://");
      }
      this.pgUrl = value == null || value.isBlank() ? null : value;
      return this;
    }

    public Builder publicBaseUrl(String value) {
      if (value != null && !value.matches("https?://[^\\s]+")) {
        throw new IllegalArgumentException("public base url must be an http(s) URL, but was '" + value + "'");
      }
      this.publicBaseUrl = value == null ? null : value.replaceFirst("/+$", "");
      return this;
    }

    public Builder poolMaxSize(int value) {
      Range.check("pool max size", value, 1, POOL_MAX_SIZE_MAX);
      this.poolMaxSize = value;
      return this;
    }

    public Builder poolWaitQueueMax(int value) {
      Range.check("pool wait queue max", value, 1, POOL_WAIT_QUEUE_MAX_MAX);
      this.poolWaitQueueMax = value;
      return this;
    }

    public Builder bodyLimitBytes(long value) {
      Range.check("body limit bytes", value, BODY_LIMIT_BYTES_MIN, BODY_LIMIT_BYTES_MAX);
      this.bodyLimitBytes = value;
      return this;
    }

    public Builder requestTimeoutMs(long value) {
      // A request must end before its Idempotency-Key lease does, or a retry could run beside it.
      Range.check("request timeout ms", value, REQUEST_TIMEOUT_MS_MIN, Idempotency.LEASE.toMillis() / 2);
      this.requestTimeoutMs = value;
      return this;
    }

    /** Console sessions end after {@code idleSeconds} unused or {@code maxSeconds} after sign-in. */
    public Builder consoleSessions(long idleSeconds, long maxSeconds) {
      this.consoleSessions = new ConsoleSessions.Lifetimes(idleSeconds, maxSeconds);
      return this;
    }

    public Builder consoleSessionIdleSeconds(long value) {
      return consoleSessions(value, Math.max(value, consoleSessions.maxSeconds()));
    }

    public Builder consoleSessionMaxSeconds(long value) {
      return consoleSessions(Math.min(consoleSessions.idleSeconds(), value), value);
    }

    public Builder stockBatchMax(int value) {
      Range.check("stock batch max", value, 1, STOCK_BATCH_MAX_MAX);
      this.stockBatchMax = value;
      return this;
    }

    public Builder shutdownGraceMs(long value) {
      Range.check("shutdown grace ms", value, 0, SHUTDOWN_GRACE_MS_MAX);
      this.shutdownGraceMs = value;
      return this;
    }

    public Builder eventLoops(int value) {
      Range.check("event loops", value, 1, EVENT_LOOPS_MAX);
      this.eventLoops = value;
      return this;
    }

    public Builder httpInstances(int value) {
      Range.check("http instances", value, 1, HTTP_INSTANCES_MAX);
      this.httpInstances = value;
      return this;
    }

    public Builder seedDemo(boolean value) {
      this.seedDemo = value;
      return this;
    }

    /** Vault master keys, {@code id:base64,id:base64}, the first active; null to use the data folder. */
    public Builder vaultKeys(String value) {
      this.vaultKeys = blankToNull(value);
      return this;
    }

    public Builder fingerprintKey(String value) {
      this.fingerprintKey = blankToNull(value);
      return this;
    }

    public Builder evidenceSeed(String value) {
      this.evidenceSeed = blankToNull(value);
      return this;
    }

    /** The operator's bearer token, at least {@link GatewaySecrets#ADMIN_TOKEN_LENGTH_MIN} characters. */
    public Builder adminToken(String value) {
      String token = blankToNull(value);
      if (token != null && token.length() < GatewaySecrets.ADMIN_TOKEN_LENGTH_MIN) {
        // Checked here too, so the command line refuses it before anything starts; never echo a secret.
        throw new IllegalArgumentException("admin token must be at least " + GatewaySecrets.ADMIN_TOKEN_LENGTH_MIN
            + " characters, but was " + token.length() + " characters");
      }
      this.adminToken = token;
      return this;
    }

    /** The token that reads {@code /metrics} besides the admin token; null or blank for none. */
    public Builder metricsToken(String value) {
      String token = blankToNull(value);
      if (token != null && token.length() < METRICS_TOKEN_LENGTH_MIN) {
        throw new IllegalArgumentException("metrics token must be at least " + METRICS_TOKEN_LENGTH_MIN
            + " characters, but was " + token.length() + " characters");
      }
      this.metricsToken = token;
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    public Builder engine(EngineConfig value) {
      this.engine = Objects.requireNonNull(value, "engine");
      return this;
    }

    /**
     * Hosts (names or IP literals, as written in URLs) that merchant-chosen URLs may point to over plain
     * http or at non-public addresses: a test machine's {@code 127.0.0.1}, an in-house shop. At most
     * {@value OutboundRules#ALLOWED_HOSTS_MAX}.
     */
    public Builder outboundAllowHosts(Collection<String> hosts) {
      this.outboundRules = OutboundRules.allowing(hosts);
      return this;
    }

    /** Applies {@code KEYHOLD_PG_URL}, the secret variables and {@code KEYHOLD_METRICS_TOKEN}, when set. */
    public Builder applyEnvironment(Map<String, String> env) {
      if (env.get(ENV_PG_URL) != null) pgUrl(env.get(ENV_PG_URL));
      if (env.get(ENV_ADMIN_TOKEN) != null) adminToken(env.get(ENV_ADMIN_TOKEN));
      if (env.get(ENV_VAULT_KEYS) != null) vaultKeys(env.get(ENV_VAULT_KEYS));
      if (env.get(ENV_FINGERPRINT_KEY) != null) fingerprintKey(env.get(ENV_FINGERPRINT_KEY));
      if (env.get(ENV_EVIDENCE_SEED) != null) evidenceSeed(env.get(ENV_EVIDENCE_SEED));
      if (env.get(ENV_METRICS_TOKEN) != null) metricsToken(env.get(ENV_METRICS_TOKEN));
      if (env.get(ENV_EPAY_KEY) != null) {
        engine(engine.toBuilder().paymentProviderSetting("epay", "key", env.get(ENV_EPAY_KEY)).build());
      }
      if (env.get(ENV_EPAY_PRIVATE_KEY) != null) {
        engine(engine.toBuilder().paymentProviderSetting("epay", "merchant_private_key", env.get(ENV_EPAY_PRIVATE_KEY))
            .build());
      }
      return this;
    }

    // What the config file's parser reads back: a section it amends starts from the values set so far.
    EngineConfig engine() {
      return engine;
    }

    String vaultKeys() {
      return vaultKeys;
    }

    String fingerprintKey() {
      return fingerprintKey;
    }

    String evidenceSeed() {
      return evidenceSeed;
    }

    String adminToken() {
      return adminToken;
    }

    String metricsToken() {
      return metricsToken;
    }

    public GatewayConfig build() {
      return new GatewayConfig(this);
    }

    private static String blankToNull(String value) {
      return value == null || value.isBlank() ? null : value;
    }
  }
}
