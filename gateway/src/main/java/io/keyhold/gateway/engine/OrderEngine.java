package io.keyhold.gateway.engine;

import io.keyhold.adapters.outbound.OutboundRules;
import io.keyhold.adapters.spi.AdapterRegistry;
import io.keyhold.gateway.adapters.MerchantAdapters;
import io.keyhold.gateway.adapters.PaymentContext;
import io.keyhold.gateway.adapters.PaymentProvider;
import io.keyhold.gateway.adapters.PaymentProviderFactory;
import io.keyhold.gateway.adapters.SandboxProvider;
import io.keyhold.gateway.adapters.StockAdapter;
import io.keyhold.gateway.adapters.Webhooks;
import io.keyhold.gateway.crypto.GatewaySecrets;
import io.keyhold.gateway.store.Catalog;
import io.keyhold.gateway.store.Instances;
import io.keyhold.gateway.store.OperationsFigures;
import io.keyhold.gateway.store.KeyStore;
import io.keyhold.gateway.store.MerchantService;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.StockVault;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order engine of one gateway instance, wired: merchant adapters (built-in {@code stock}, and
 * {@code http} or plug-ins via {@code ServiceLoader}), the delivered-key store, checkout, payments
 * (built-in {@code sandbox} plus {@link PaymentProviderFactory} plug-ins), the outbox dispatcher and
 * the deadline sweeper.
 *
 * <p>Life: {@link #create} (before serving), {@link #startWorkers} (once the
 * server listens), {@link #stop} (stop claiming work, let in-flight transitions finish), {@link #close}.
 */
public final class OrderEngine {
  /** Connections kept open to one host by the engine's HTTP client (webhooks, sandbox notices). */
  public static final int HTTP_POOL_SIZE = 16;
  /** How long a stop waits for this instance's sign-off; without it the others take it for dead after the lease. */
  static final long HEARTBEAT_STOP_MS = 2_000;

  private static final Logger LOG = LoggerFactory.getLogger(OrderEngine.class);

  private final EngineConfig config;
  private final OrderStore orders;
  private final MerchantAdapters adapters;
  private final KeyStore keys;
  private final Deliveries deliveries;
  private final Checkout checkout;
  private final Payments payments;
  private final SandboxProvider sandbox;
  private final OutboxDispatcher outbox;
  private final Sweeper sweeper;
  private final Heartbeat heartbeat;
  private final WebClient client;
  private final PaymentPoll poll;
  private final OperationsGauges gauges;

  private OrderEngine(EngineConfig config, OrderStore orders, MerchantAdapters adapters, KeyStore keys,
      Deliveries deliveries, Checkout checkout, Payments payments, SandboxProvider sandbox, OutboxDispatcher outbox,
      Sweeper sweeper, Heartbeat heartbeat, WebClient client, PaymentPoll poll, OperationsGauges gauges) {
    this.gauges = gauges;
    this.poll = poll;
    this.heartbeat = heartbeat;
    this.config = config;
    this.orders = orders;
    this.adapters = adapters;
    this.keys = keys;
    this.deliveries = deliveries;
    this.checkout = checkout;
    this.payments = payments;
    this.sandbox = sandbox;
    this.outbox = outbox;
    this.sweeper = sweeper;
    this.client = client;
  }

  /**
   * Builds the engine (loads the sandbox's shared secret; nothing runs yet).
   *
   * @param pool the API's pool: checkouts, payments, the merchant routes
   * @param enginePool the order engine's own pool: the sweeper, the outbox and the effects they run
   * @param outboundRules the rules every merchant-chosen URL (shops, issuers, webhooks) is sent to under
   * @param baseUrl the base of links handed to buyers
   * @param selfUrl where this instance's own HTTP server answers (for the sandbox's notices)
   * @param purgeIdempotency the API's Idempotency-Key records, purged by the sweeper through the engine's pool
   * @param instances this instance among the others on the database (its claims name it; see {@link Heartbeat})
   */
  public static Future<OrderEngine> create(Vertx vertx, Pool pool, Pool enginePool, EngineConfig config, Clock clock,
      OrderStore orders, StockVault stock, Catalog catalog, MerchantService merchants, Sweeper.Purge purgeIdempotency,
      GatewaySecrets secrets, MeterRegistry meters, OutboundRules outboundRules, Supplier<String> baseUrl,
      Supplier<String> selfUrl, Instances instances) {
    WebClient client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(5_000)
        .setFollowRedirects(false), new PoolOptions().setHttp1MaxSize(HTTP_POOL_SIZE));
    MerchantAdapters adapters = new MerchantAdapters(vertx, pool, secrets.vault(), AdapterRegistry.load(),
        new StockAdapter.Factory(pool, enginePool, stock), meters, clock, outboundRules);
    KeyStore keys = new KeyStore(vertx, secrets.vault(), secrets.fingerprints());
    Deliveries deliveries = new Deliveries(orders, keys);
    Checkout checkout = new Checkout(pool, orders, adapters, secrets.vault(), config, baseUrl, stock::knownShortfall);
    return SandboxProvider.create(pool, client, secrets.vault(), clock, config.sandboxChaos(),
            config.sandboxNoticeDelayMs(), selfUrl)
        .compose(sandbox -> plugins(vertx, clock, config.paymentProviders()).map(plugins -> {
          List<PaymentProvider> providers = new ArrayList<>(plugins);
          providers.add(sandbox);
          KeyChecks checks = new KeyChecks(enginePool, catalog, adapters);
          Payments payments = new Payments(vertx, orders, pool, new LateStock(adapters),
              new StockAtFunding(adapters, checks, deliveries), providers, meters, instances.self());
          if (!SandboxProvider.ID.equals(config.checkoutProvider())
              && (payments.provider(config.checkoutProvider()) == null
              || !payments.provider(config.checkoutProvider()).startsPayments())) {
            throw new IllegalArgumentException("payments.checkout names '" + config.checkoutProvider()
                + "', which is neither the sandbox nor a configured provider that starts payments");
          }
          Webhooks webhooks = new Webhooks(vertx, pool, client, outboundRules, merchants, orders, clock);
          // The sweeper, the outbox and the effects they run read and write through the engine's own pool.
          OrderStore engineOrders = orders.using(enginePool);
          EffectRunner runner = new EffectRunner(enginePool, engineOrders, adapters,
              new Deliveries(engineOrders, keys), keys, checks, payments,
              webhooks, sandbox);
          OutboxDispatcher outbox = new OutboxDispatcher(vertx, enginePool, clock, config, instances.self(),
              runner.handlers(), meters);
          Sweeper sweeper = new Sweeper(vertx, engineOrders, stock.using(enginePool), purgeIdempotency,
              config, meters);
          Heartbeat heartbeat = new Heartbeat(vertx, instances, clock, config, meters);
          PaymentPoll poll = new PaymentPoll(vertx, payments, config);
          OperationsGauges gauges = new OperationsGauges(vertx, new OperationsFigures(enginePool), clock, meters);
          // Counted whether or not this instance runs the workers: every change it commits.
          orders.changes().listen(order -> gauges.changed(order.state()));
          return new OrderEngine(config, orders, adapters, keys, deliveries, checkout, payments, sandbox,
              outbox, sweeper, heartbeat, client, poll, gauges);
        }))
        // Registered before any request or effect can claim work in this instance's name.
        .compose(engine -> engine.heartbeat.start().map(engine));
  }

  /**
   * Creates the provider of every factory found, with its configuration ({@code payments.providers.<id>}); a factory
   * that {@linkplain PaymentProviderFactory#needsConfiguration() needs one} and has none is skipped, and a
   * configuration no factory claims is an error (a typo would otherwise leave buyers without their provider).
   */
  private static Future<List<PaymentProvider>> plugins(Vertx vertx, Clock clock, JsonObject configs) {
    List<Future<PaymentProvider>> created = new ArrayList<>();
    Set<String> unclaimed = new TreeSet<>(configs.fieldNames());
    for (PaymentProviderFactory factory : ServiceLoader.load(PaymentProviderFactory.class)) {
      if (SandboxProvider.ID.equals(factory.id())) {
        throw new IllegalStateException("payment provider id 'sandbox' is built in; "
            + factory.getClass().getName() + " claims it too");
      }
      unclaimed.remove(factory.id());
      JsonObject config = configs.getJsonObject(factory.id());
      if (config == null && factory.needsConfiguration()) {
        continue;
      }
      created.add(factory.create(new PaymentContext(vertx, clock, config)));
    }
    if (!unclaimed.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("payments.providers names providers no plug-in"
          + " offers: " + unclaimed));
    }
    return Future.all(created).map(all -> created.stream().map(Future::result).toList());
  }


  /** Starts the sweeper and the outbox (unless the config turned workers off). */
  public void startWorkers() {
    if (!config.workers()) {
      LOG.info("order engine workers are off by configuration");
      return;
    }
    // New effects are run at once rather than at the next poll; the sandbox's notices when they fall due.
    orders.changes().listenQueued(outbox::wake);
    orders.changes().listenClaimed(outbox::runClaimed);
    sandbox.onNoticesQueued(outbox::wakeIn);
    outbox.start();
    Duration lease = Duration.ofMillis(config.outboxLeaseMs());
    orders.claimEffectsAs(outbox.instanceId(), lease);
    sandbox.claimNoticesAs(outbox.instanceId(), lease, outbox::runClaimedIn);
    sweeper.start();
    poll.start();
    gauges.start();
  }

  /**
   * Stops claiming new work and waits (up to {@code graceMs}) for the sweep and the effects under way
   * to be stored. Requests still being served finish on their own (the HTTP server's grace).
   */
  public Future<Void> stop(long graceMs) {
    gauges.stop();
    // Changes stored from now on leave their rows for any instance: this one runs no more.
    orders.stopClaimingEffects();
    sandbox.stopClaimingNotices();
    return Future.join(sweeper.stop(graceMs), outbox.stop(graceMs), poll.stop(graceMs)).mapEmpty();
  }

  /**
   * Signs this instance off and closes the adapters, providers and the HTTP client; after the HTTP server stopped,
   * so no request still holds a claim in its name.
   */
  public Future<Void> close() {
    return Future.join(heartbeat.stop(HEARTBEAT_STOP_MS), adapters.close(), payments.close()).eventually(() -> {
      client.close();
      return Future.succeededFuture();
    }).mapEmpty();
  }

  public MerchantAdapters adapters() {
    return adapters;
  }

  public KeyStore keys() {
    return keys;
  }

  public Payments payments() {
    return payments;
  }

  public SandboxProvider sandbox() {
    return sandbox;
  }

  public PaymentPoll paymentPoll() {
    return poll;
  }

  public Sweeper sweeper() {
    return sweeper;
  }

  public OutboxDispatcher outbox() {
    return outbox;
  }

  public Deliveries deliveries() {
    return deliveries;
  }

  public Checkout checkout() {
    return checkout;
  }
}
