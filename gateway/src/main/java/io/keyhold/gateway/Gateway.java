package io.keyhold.gateway;

import io.keyhold.gateway.api.AdminRoutes;
import io.keyhold.gateway.api.BackupSourceRoutes;
import io.keyhold.gateway.api.DepositRoutes;
import io.keyhold.gateway.api.Authenticator;
import io.keyhold.gateway.api.BuyerSide;
import io.keyhold.gateway.api.CatalogRoutes;
import io.keyhold.gateway.api.Endpoints;
import io.keyhold.gateway.api.Idempotency;
import io.keyhold.gateway.api.InFlightLimit;
import io.keyhold.gateway.api.MerchantHealthRoutes;
import io.keyhold.gateway.api.OpenApiValidation;
import io.keyhold.gateway.api.OrderRoutes;
import io.keyhold.gateway.api.OutboundUrls;
import io.keyhold.gateway.api.PaymentRoutes;
import io.keyhold.gateway.api.ReliabilityRoutes;
import io.keyhold.gateway.api.Problem;
import io.keyhold.gateway.api.ProblemCode;
import io.keyhold.gateway.api.Problems;
import io.keyhold.gateway.api.StockRoutes;
import io.keyhold.gateway.api.console.ConsoleRoutes;
import io.keyhold.gateway.crypto.GatewaySecrets;
import io.keyhold.gateway.engine.BackupSources;
import io.keyhold.gateway.engine.Deposits;
import io.keyhold.gateway.engine.MerchantReliability;
import io.keyhold.gateway.engine.OrderEngine;
import io.keyhold.gateway.store.Catalog;
import io.keyhold.gateway.store.ConsoleSessions;
import io.keyhold.gateway.store.Database;
import io.keyhold.gateway.store.DatabaseOutage;
import io.keyhold.gateway.store.Instances;
import io.keyhold.gateway.store.KeyStore;
import io.keyhold.gateway.store.MerchantService;
import io.keyhold.gateway.store.MerchantStats;
import io.keyhold.gateway.store.OrderChanges;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.StockVault;
import io.keyhold.gateway.store.WebhookDeliveries;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.TimeoutHandler;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: Vert.x with Micrometer metrics, the database (embedded or configured,
 * migrated), the secrets, the services, and the HTTP servers, one per event loop
 * ({@link HttpServerVerticle}).
 *
 * <p>{@link #start} and {@link #close} block; call them from a plain thread (main, a test), never
 * from a Vert.x thread. Start-up does its blocking work (secrets file, embedded PostgreSQL, Flyway)
 * before Vert.x serves anything.
 *
 * <p>To add an API: write the operation in {@code openapi.yaml}, then mount a handler in
 * {@link #mountRoutes} with {@link Endpoints#post}/{@link Endpoints#get} (see {@link StockRoutes}).
 */
public final class Gateway implements AutoCloseable {
  public static final Duration START_TIMEOUT = Duration.ofMinutes(2);
  public static final Duration READY_QUERY_TIMEOUT = Duration.ofSeconds(2);
  /** The embedded PostgreSQL cluster's folder under the data folder. */
  public static final String EMBEDDED_PG_DIR = "pg";
  /** API requests may fill a quarter of the pool's wait queue; see {@link #apiRequestsInFlightMax}. */
  static final int API_SHARE_OF_POOL_QUEUE = 4;
  /**
   * API requests waiting for a place, at most: a burst waits its turn (a paused request costs a few KiB)
   * instead of being sent away to come back all at once.
   */
  static final int API_WAITING_MAX = 4_096;
  /** The longest a request carrying on work waits for a place, at most; well inside the request timeout. */
  static final long API_WAIT_MS_MAX = 10_000;
  /**
   * The longest a checkout waits for a place before it is answered with its place in line: a moment's burst rides
   * it out, and a shop's call is answered at once, served or told when to come back (a call held longer holds a
   * connection of the shop's too: with 250 ms the flash sale's checkouts queued in the shop's own pool).
   */
  static final long API_NEW_DEMAND_WAIT_MS_MAX = 50;
  /**
   * Calls one HTTP/2 connection may have open at once (the servers speak HTTP/2 over cleartext too, h2c, to a
   * caller that knows it or asks to upgrade): the SETTINGS limit every HTTP/2 caller is told. A shop's server can
   * multiplex its checkouts instead of queuing them for a few HTTP/1.1 connections; what is held in memory stays
   * bounded by the in-flight cap and its waiting room, not by this.
   */
  static final long HTTP2_STREAMS_PER_CONNECTION_MAX = 100;
  /**
   * What the HTTP servers listen on when the config asks for any free port (0). Vert.x gives each server on
   * port 0 a port of its own, and a second server cannot bind the first one's port afterwards; servers on the
   * same negative port share one free port.
   */
  static final int SHARED_FREE_PORT = -1;

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
  private static final String FINGERPRINT_CHECK = "fingerprint_key_check";

  private final GatewayConfig config;
  private final GatewaySecrets secrets;
  private final Database database;
  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;
  /** Every HTTP server, once it listens; see {@link HttpServerVerticle}. */
  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
  private Pool pool;
  private String httpDeployment;
  private Router router;
  private MerchantService merchants;
  private Catalog catalog;
  private StockVault stock;
  private OrderStore orders;
  private OrderEngine engine;
  private MerchantReliability reliability;
  private Idempotency idempotency;
  private DatabaseOutage outage;
  private DemoShop.Seeded demo;
  private BuyerSide buyerSide;
  private boolean closed;

  private Gateway(GatewayConfig config, GatewaySecrets secrets, Database database, Vertx vertx,
      PrometheusMeterRegistry registry) {
    this.config = config;
    this.secrets = secrets;
    this.database = database;
    this.vertx = vertx;
    this.registry = registry;
  }

  /**
   * Starts a gateway and answers once it serves HTTP. Blocking.
   *
   * @throws BadSettingException when a secret given or stored cannot be used
   */
  public static Gateway start(GatewayConfig config) throws Exception {
    refuseVertxThread("start");
    LOG.info("starting gateway with {}", config);
    GatewaySecrets secrets;
    try {
      secrets = GatewaySecrets.loadOrCreate(config.dataDir(), config.secrets());
    } catch (IllegalArgumentException e) {
      throw new BadSettingException(e.getMessage(), e);
    }
    Database database = Database.prepare(config.pgUrl(), config.dataDir().resolve(EMBEDDED_PG_DIR));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxGaugeRepeats.install();
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventLoopPoolSize(config.eventLoops()).setPreferNativeTransport(true)
            // Vert.x's HTTP server meters cost every request several meter updates and a gauge lookup (~7 µs of
            // its ~20-450 µs, measured in docs/operations.md); keyhold_api_answer_seconds times every answer, and
            // OpenConnections counts the connections. Pool, SQL client and HTTP client meters stay.
            .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
                .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    if (vertx.isNativeTransportEnabled()) {
      LOG.info("sockets on the native transport (epoll)");
    } else {
      LOG.info("sockets on Java NIO: the native transport is unavailable ({})",
          String.valueOf(vertx.unavailableNativeTransportCause()));
    }
    Gateway gateway = new Gateway(config, secrets, database, vertx, registry);
    try {
      await(gateway.boot(), START_TIMEOUT);
    } catch (Exception e) {
      try {
        gateway.close();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    LOG.info("gateway serving on http://{}:{}", config.host(), gateway.port());
    return gateway;
  }

  private Future<Void> boot() {
    pool = database.connect(vertx, config.poolMaxSize(), config.poolWaitQueueMax(), config.eventLoops());
    merchants = new MerchantService(pool, secrets.vault());
    catalog = new Catalog(secrets.vault());
    stock = new StockVault(vertx, pool, secrets.vault(), secrets.fingerprints(), config.stockBatchMax());
    orders = new OrderStore(vertx, pool, config.clock(), new OrderChanges());
    Instances instances = new Instances(database.livenessPool(), Instances.newId());
    idempotency = new Idempotency(pool, secrets.vault(), config.clock(), instances.self());
    outage = new DatabaseOutage(vertx, () -> pool.query("SELECT 1").execute(), registry);
    // The API document is read and compiled while the database work below goes on: it needs none of it, and a
    // restarted instance is back sooner.
    Future<OpenApiValidation> contract = OpenApiValidation.load(vertx);
    return checkFingerprintKey()
        .compose(ignored -> OrderEngine.create(vertx, pool, database.enginePool(), config.engine(), config.clock(),
            orders, stock, catalog, merchants, idempotency.using(database.enginePool())::purgeExpired, secrets, registry,
            config.outboundRules(), this::baseUrl, this::selfUrl, instances))
        .compose(created -> {
          this.engine = created;
          this.reliability = new MerchantReliability(vertx, new MerchantStats(pool), config.clock(), registry);
          return contract;
        })
        .compose(validation -> {
          Router router = Router.router(vertx);
          this.router = router;
          router.route().handler(BuyerSide.edge(TimeoutHandler.create(config.requestTimeoutMs(), 503)));
          Problems.install(router, outage, registry);
          Authenticator authenticator = new Authenticator(pool, orders, secrets.adminToken(),
              new ConsoleSessions(pool, config.clock(), config.consoleSessions()));
          mountService(router, validation, authenticator);
          InFlightLimit requests = new InFlightLimit("API", apiRequestsInFlightMax(config), API_WAITING_MAX,
              apiWaitMsMax(config), Math.min(API_NEW_DEMAND_WAIT_MS_MAX, apiWaitMsMax(config)));
          registry.gauge("keyhold.api.requests.in_flight", requests, InFlightLimit::inFlight);
          registry.gauge("keyhold.api.requests.waiting", requests, InFlightLimit::waiting);
          registry.gauge("keyhold.api.checkouts.in_line", requests, InFlightLimit::inLine);
          Endpoints endpoints = new Endpoints(router, authenticator, validation,
              idempotency, config.bodyLimitBytes(), requests, registry);
          mountRoutes(endpoints);
          ConsoleRoutes.mount(endpoints, authenticator, authenticator.sessions(),
              config.publicBaseUrl() != null && config.publicBaseUrl().startsWith("https://"), registry);
          return config.seedDemo()
              ? DemoShop.seedOnce(pool, merchants, catalog, stock).map(seeded -> {
                this.demo = seeded;
                return router;
              })
              : Future.succeededFuture(router);
        })
        .compose(this::serve)
        .map(deployment -> {
          this.httpDeployment = deployment;
          engine.startWorkers();
          if (config.engine().workers()) {
            reliability.start();
          }
          return null;
        });
  }

  /** Deploys the HTTP servers, one per {@link GatewayConfig#httpInstances()}; answers the deployment. */
  private Future<String> serve(Router router) {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.host())
        .setPort(config.port() == 0 ? SHARED_FREE_PORT : config.port())
        .setMaxInitialLineLength(HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH)
        .setMaxHeaderSize(HttpServerOptions.DEFAULT_MAX_HEADER_SIZE)
        .setHttp2ClearTextEnabled(true)
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(HTTP2_STREAMS_PER_CONNECTION_MAX));
    OpenConnections connections = new OpenConnections(registry);
    return vertx.deployVerticle(() -> new HttpServerVerticle(options, router, config.shutdownGraceMs(), servers::add,
        registry, connections),
        new DeploymentOptions().setInstances(config.httpInstances()));
  }

  /** The longest an API request waits for a place: {@link #API_WAIT_MS_MAX}, or half the request timeout. */
  static long apiWaitMsMax(GatewayConfig config) {
    return Math.max(1, Math.min(API_WAIT_MS_MAX, config.requestTimeoutMs() / 2));
  }

  /**
   * API requests served at once: a quarter of the API pool's wait queue. A request waits for at most a
   * few connections at once, so however hard buyers and shops push, part of the queue stays free for what
   * must not be refused: payment notices, and the few statements the order engine's effects still send
   * through this pool (refunds, webhooks). The engine itself works on a pool of its own
   * ({@link Database#ENGINE_POOL_NAME}).
   */
  static int apiRequestsInFlightMax(GatewayConfig config) {
    return Math.max(1, config.poolWaitQueueMax() / API_SHARE_OF_POOL_QUEUE);
  }

  private void mountRoutes(Endpoints endpoints) {
    OutboundUrls urls = new OutboundUrls(vertx, config.outboundRules());
    AdminRoutes.mount(endpoints, pool, merchants, engine.adapters().types(), urls, engine.checkout()::forgetMerchant);
    DepositRoutes.mount(endpoints, pool, new Deposits(pool, config.clock(), engine.checkout()::forgetMerchant));
    BackupSourceRoutes.mount(endpoints, pool, new BackupSources(engine.checkout()::forgetMerchant));
    CatalogRoutes.mount(endpoints, pool, catalog, stock, urls);
    StockRoutes.mount(endpoints, pool, catalog, stock);
    OrderRoutes.mount(endpoints, pool, orders, engine.deliveries(), engine.checkout());
    PaymentRoutes.mount(endpoints, engine.payments(), engine.sandbox(), orders, this::baseUrl,
        config.engine().checkoutProvider());
    ReliabilityRoutes.mount(endpoints, reliability);
    MerchantHealthRoutes.mount(endpoints, new WebhookDeliveries(pool), registry);
    buyerSide = BuyerSide.mount(endpoints, vertx, pool, orders, engine.keys(), secrets.evidenceSigner(),
        config.clock());
  }

  private void mountService(Router router, OpenApiValidation validation, Authenticator authenticator) {
    // Liveness answers from the event loop alone, never the database: an outage of PostgreSQL must not get every
    // instance restarted at once (readiness takes them out of service instead). /health is its older name.
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "up")));
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "up")));
    router.get("/health/ready").handler(ctx -> pool.query("SELECT 1").execute()
        .timeout(READY_QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .onSuccess(rows -> {
          outage.back();
          ctx.json(new JsonObject().put("status", "ready"));
        })
        .onFailure(failure -> {
          // An outage is logged once, by DatabaseOutage; anything else (a check that timed out) here.
          Problem unavailable = Problems.databaseUnavailable(failure, ctx, outage);
          if (unavailable == null) {
            LOG.warn("readiness check failed: {}", failure.toString());
            ctx.put(Problems.RETRY_AFTER_SECONDS_KEY, outage.retryAfterSeconds());
          }
          Problems.send(ctx, unavailable != null ? unavailable : Problem.of(ProblemCode.NOT_READY));
        }));
    // Metrics name every merchant with its breaker's state: the operator's, not the public's.
    router.get("/metrics").handler(authenticator.operatorOrReader(config.metricsToken()))
        .handler(PrometheusScrapingHandler.create(registry));
    Buffer document = validation.document();
    router.get("/openapi.yaml").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml")
        .end(document));
  }

  /**
   * Stores a value derived from the fingerprint key in the database on first use, and refuses to
   * run with another key: duplicates would silently stop being caught.
   */
  private Future<Void> checkFingerprintKey() {
    byte[] check = secrets.fingerprints().checkValue();
    return pool.preparedQuery("INSERT INTO gateway_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .execute(Tuple.of(FINGERPRINT_CHECK, Buffer.buffer(check)))
        .compose(ignored -> pool.preparedQuery("SELECT value FROM gateway_meta WHERE name = $1")
            .execute(Tuple.of(FINGERPRINT_CHECK)))
        .compose(rows -> Arrays.equals(rows.iterator().next().getBuffer("value").getBytes(), check)
            ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException("the fingerprint key differs from the one this database"
                + " was set up with; every gateway of one database needs the same fingerprint key")));
  }

  /** The port the HTTP servers listen on (the real one when the config asked for 0). */
  public int port() {
    if (servers.isEmpty()) {
      throw new IllegalStateException("the gateway does not listen yet");
    }
    return servers.get(0).actualPort();
  }

  /** The base URL of links handed out. */
  public String baseUrl() {
    return config.publicBaseUrl() != null ? config.publicBaseUrl() : "http://localhost:" + port();
  }

  public GatewayConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Pool pool() {
    return pool;
  }

  public Database database() {
    return database;
  }

  public GatewaySecrets secrets() {
    return secrets;
  }

  /** The one registry every meter binds to (Vert.x, JVM, and later the adapters' breakers). */
  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }

  public MerchantService merchants() {
    return merchants;
  }

  public Catalog catalog() {
    return catalog;
  }

  public StockVault stock() {
    return stock;
  }

  /**
   * Where this instance's own server answers, for calls it makes to itself (the sandbox provider's
   * notices): loopback when it listens on every address.
   */
  public String selfUrl() {
    String host = config.host();
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      host = "127.0.0.1";
    }
    return "http://" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port();
  }

  /** The order engine: adapters, checkout, payments, outbox, sweeper. */
  public OrderEngine engine() {
    return engine;
  }

  /** Merchants' reliability: the fold of evidence into daily counts, and the scores read from them. */
  public MerchantReliability reliability() {
    return reliability;
  }

  /** The orders' store (load, apply events, change announcements). */
  public OrderStore orders() {
    return orders;
  }

  /** The buyer API, evidence, audit, disputes and pages (their services). */
  public BuyerSide buyerSide() {
    return buyerSide;
  }

  public Idempotency idempotency() {
    return idempotency;
  }

  /** The record of a database outage under way; see {@link DatabaseOutage}. */
  public DatabaseOutage databaseOutage() {
    return outage;
  }

  /** The router every HTTP server serves; tests add a route to see which event loop runs it. */
  Router router() {
    return router;
  }

  /** What the first start seeded, or null (seeded before, or not asked). */
  DemoShop.Seeded demo() {
    return demo;
  }

  /**
   * Stops serving (in-flight requests get {@link GatewayConfig#shutdownGraceMs()} to finish), closes
   * the pool, stops an embedded database, then Vert.x. Blocking; safe to call twice.
   */
  @Override
  public synchronized void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    refuseVertxThread("close");
    Duration budget = Duration.ofMillis(config.shutdownGraceMs()).plusSeconds(30);
    Exception failure = null;
    try {
      if (engine != null) {
        // Stop claiming deadlines and outbox rows first; what is under way is stored before the pool closes.
        await(engine.stop(config.shutdownGraceMs()), budget);
      }
      if (reliability != null) {
        await(reliability.stop(config.shutdownGraceMs()), budget);
      }
    } catch (Exception e) {
      failure = e;
    }
    try {
      if (httpDeployment != null) {
        // Each server stops accepting and gives its requests in flight the grace (HttpServerVerticle#stop).
        await(vertx.undeploy(httpDeployment), budget);
      }
    } catch (Exception e) {
      failure = failure == null ? e : failure;
    }
    try {
      if (engine != null) {
        await(engine.close(), budget);
      }
    } catch (Exception e) {
      failure = failure == null ? e : failure;
    }
    try {
      await(database.close(vertx), budget);
    } catch (Exception e) {
      failure = failure == null ? e : failure;
    }
    // Vert.x last, awaited on its own: nothing may be chained on a Vert.x that is closing.
    try {
      await(vertx.close(), budget);
    } catch (Exception e) {
      failure = failure == null ? e : failure;
    }
    registry.close();
    LOG.info("gateway stopped");
    if (failure != null) {
      throw failure;
    }
  }

  private static void refuseVertxThread(String what) {
    if (Context.isOnVertxThread()) {
      throw new IllegalStateException("Gateway." + what + " blocks; call it from a plain thread, not a Vert.x thread");
    }
  }

  static <T> T await(Future<T> future, Duration timeout) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    } catch (TimeoutException e) {
      throw new TimeoutException("gave up waiting after " + timeout);
    }
  }
}
