package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.gateway.GatewayConfig;
import io.keyhold.gateway.testing.ShiftableClock;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The order flows as a buyer, a shop and an operator drive them over HTTP, for the engine's tests: a
 * real gateway ({@link TestGateway}, real PostgreSQL) whose clock tests move, with the sweeper and the
 * outbox polling every few milliseconds.
 */
final class Flows implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(20);
  static final long PRICE = 1000;
  static final String CURRENCY = "CNY";
  static final String SIGNING_SECRET = "test-merchant-signing-secret-0123456789";
  static final String ISSUER_SECRET = "test-issuer-signing-secret-0123456789";
  /**
   * Each reference shop of a run gets its own seed: shops with one seed generate the same keys, and
   * Keyhold rightly takes a key a second shop hands out again for a key sold twice.
   */
  private static final AtomicLong SHOP_SEEDS = new AtomicLong(7);

  final TestGateway gw;
  final ShiftableClock clock;

  private Flows(TestGateway gw, ShiftableClock clock) {
    this.gw = gw;
    this.clock = clock;
  }

  /** The engine pacing the tests use: small intervals and backoffs, so nothing waits long. */
  static EngineConfig.Builder fastEngine() {
    return EngineConfig.builder()
        .sweepIntervalMs(20)
        .outboxIntervalMs(20)
        .outboxBackoffBaseMs(20)
        .outboxBackoffMaxMs(200)
        .outboxAttemptsMax(100)
        .sandboxNoticeDelayMs(5);
  }

  static Flows start() throws Exception {
    return start(engine -> { }, config -> { });
  }

  static Flows start(Consumer<EngineConfig.Builder> engine, Consumer<GatewayConfig.Builder> more) throws Exception {
    ShiftableClock clock = new ShiftableClock();
    EngineConfig.Builder engineConfig = fastEngine();
    engine.accept(engineConfig);
    TestGateway gw = TestGateway.start(config -> {
      config.clock(clock).engine(engineConfig.build());
      more.accept(config);
    });
    return new Flows(gw, clock);
  }

  // ---- shops

  record Merchant(String id, String apiKey, String webhookSecret) {}

  /** A merchant selling from its consignment stock. */
  Merchant stockMerchant(String name) {
    return merchant(name, null, null);
  }

  Merchant merchant(String name, JsonObject adapter, String webhookUrl) {
    TestGateway.Merchant merchant = gw.createMerchant(name, 250, adapter, webhookUrl);
    return new Merchant(merchant.id(), merchant.apiKey(), merchant.webhookSecret());
  }

  /**
   * A merchant whose keys come from its own shop speaking the merchant protocol: a reference merchant
   * (its own stock of Luhn keys and a fake issuer) on a free port and this gateway's clock, selling one
   * SKU created with {@code policy} and {@code validators}.
   */
  HttpShop httpShop(String name, int keys, JsonObject policy, Function<String, JsonArray> validators) {
    return httpShop(name, keys, policy, validators, SHOP_SEEDS.getAndIncrement());
  }

  /** {@link #httpShop} with its seed: two shops started with one seed hold the same keys (a key sold twice). */
  HttpShop httpShop(String name, int keys, JsonObject policy, Function<String, JsonArray> validators, long seed) {
    int port = freePort();
    String baseUrl = "http://127.0.0.1:" + port;
    Merchant merchant = merchant(name, new JsonObject().put("type", "http").put("config", new JsonObject()
        .put("base_url", baseUrl)
        .put("signing_secret", SIGNING_SECRET)), null);
    String skuId = sku(merchant, policy, validators == null ? null : validators.apply(baseUrl));
    ReferenceMerchant shop = TestGateway.await(ReferenceMerchant.start(gw.gateway().vertx(),
        ReferenceMerchantOptions.builder().host("127.0.0.1").port(port).sku(skuId, keys).secret(SIGNING_SECRET)
            .issuerSecret(ISSUER_SECRET).clock(clock).seed(seed).build()));
    return new HttpShop(merchant, skuId, shop, seed);
  }

  record HttpShop(Merchant merchant, String skuId, ReferenceMerchant shop, long seed) {}

  /** The reference keys' format (16 digits, Luhn) and the shop's issuer check ({@code http} validator). */
  /**
   * Waits up to {@code max} until every paid sandbox payment funds its order (its notices ran), then asserts none is
   * left unfunded.
   */
  static void awaitPaidOrdersFunded(TestGateway gw, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    long unfunded;
    do {
      unfunded = gw.query("SELECT count(*) FROM sandbox_payments s WHERE s.state = 'paid' AND NOT EXISTS"
          + " (SELECT 1 FROM payments p WHERE p.provider = 'sandbox' AND p.provider_txn_id = s.id"
          + " AND p.use = 'funded')").get(0).getLong(0);
      if (unfunded > 0) {
        Thread.sleep(100);
      }
    } while (unfunded > 0 && System.nanoTime() < deadline);
    assertThat(unfunded).as("paid sandbox payments not funding their order").isZero();
  }

  static JsonArray luhnAndIssuer(String shopUrl) {
    return formatValidator("^[0-9]{16}$", "luhn").add(issuerCheck(shopUrl));
  }

  /** Only the issuer check: a key is valid when the reference merchant's fake issuer says so. */
  static JsonArray issuerOnly(String shopUrl) {
    return new JsonArray().add(issuerCheck(shopUrl));
  }

  /** The {@code http} validator asking the reference merchant's fake issuer, signed with its secret. */
  static JsonObject issuerCheck(String shopUrl) {
    return new JsonObject().put("type", "http").put("url", shopUrl).put("signing_secret", ISSUER_SECRET);
  }

  private static int freePort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The shortest deadlines the API allows. */
  static JsonObject shortPolicy() {
    return new JsonObject()
        .put("pay_within_seconds", 60)
        .put("deliver_within_seconds", 10)
        .put("validate_within_seconds", 10)
        .put("resupply_within_seconds", 10)
        .put("max_resupply_attempts", 2)
        .put("inspection_window_seconds", 60)
        .put("max_hold_seconds", 3600);
  }

  String sku(Merchant merchant, JsonObject policy, JsonArray validators) {
    JsonObject body = new JsonObject().put("name", "Game card").put("price", PRICE).put("currency", CURRENCY)
        .put("policy", policy);
    if (validators != null) {
      body.put("validators", validators);
    }
    return gw.createSku(asTestMerchant(merchant), body);
  }

  void upload(Merchant merchant, String skuId, List<String> keys) {
    TestGateway.Response response = gw.uploadKeys(asTestMerchant(merchant), skuId, keys);
    assertThat(response.status()).as(response.toString()).isEqualTo(201);
  }

  private static TestGateway.Merchant asTestMerchant(Merchant merchant) {
    return new TestGateway.Merchant(merchant.id(), merchant.apiKey(), merchant.webhookSecret());
  }

  static JsonArray formatValidator(String pattern, String checksum) {
    return new JsonArray().add(new JsonObject().put("type", "format").put("pattern", pattern)
        .put("checksum", checksum));
  }

  // ---- buyers

  record Session(String id, String orderId, String token, JsonObject json) {}

  Session checkout(Merchant merchant, String skuId, int quantity) {
    TestGateway.Session session = gw.checkout(merchant.apiKey(), skuId, quantity);
    return new Session(session.id(), session.orderId(), session.token(), session.json());
  }

  /** A stock shop with one key of a SKU without validators, and a buyer's order of it, awaiting payment. */
  record OneKeyOrder(Merchant shop, String skuId, Session session) {}

  /** See {@link OneKeyOrder}; the key is {@code keyPrefix} and a random UUID. */
  OneKeyOrder oneKeyOrder(String shopName, String keyPrefix) {
    Merchant shop = stockMerchant(shopName);
    String sku = sku(shop, shortPolicy(), null);
    upload(shop, sku, List.of(keyPrefix + UUID.randomUUID()));
    return new OneKeyOrder(shop, sku, checkout(shop, sku, 1));
  }

  TestGateway.Response tryCheckout(Merchant merchant, String skuId, int quantity) {
    return gw.tryCheckout(merchant.apiKey(), skuId, quantity);
  }

  /** Starts a sandbox payment of {@code amount} for the order; answers its id. */
  String startPayment(Session session, long amount) {
    return gw.startSandboxPayment(session.orderId(), session.token(),
        new JsonObject().put("amount", amount).put("currency", CURRENCY));
  }

  void confirmPayment(String paymentId) {
    gw.confirmSandboxPayment(paymentId);
  }

  /** The buyer pays the order's total through the sandbox; answers the payment id. */
  String pay(Session session, int quantity) {
    String paymentId = startPayment(session, PRICE * quantity);
    confirmPayment(paymentId);
    return paymentId;
  }

  // ---- watching

  JsonObject order(Merchant merchant, String orderId) {
    TestGateway.Response response = gw.get("/v1/orders/" + orderId, merchant.apiKey());
    assertThat(response.status()).as(response.toString()).isEqualTo(200);
    return response.json();
  }

  /** Waits (real time) until the order is in one of {@code states}. */
  JsonObject awaitState(Merchant merchant, String orderId, String... states) {
    Set<String> wanted = Set.of(states);
    return awaitOrder(merchant, orderId, order -> wanted.contains(order.getString("state")),
        "state in " + wanted);
  }

  JsonObject awaitOrder(Merchant merchant, String orderId, Predicate<JsonObject> condition, String what) {
    Instant giveUp = Instant.now().plus(WAIT);
    JsonObject order = order(merchant, orderId);
    while (!condition.test(order)) {
      if (Instant.now().isAfter(giveUp)) {
        throw new AssertionError("order " + orderId + " never reached " + what + "; it is " + order.encodePrettily()
            + "\nevidence: " + evidenceTypes(orderId) + "\noutbox: " + outbox(orderId));
      }
      pause(20);
      order = order(merchant, orderId);
    }
    return order;
  }

  /** Waits until {@code query} answers a row whose first column is true. */
  void awaitTrue(String what, String sql, Object... args) {
    Instant giveUp = Instant.now().plus(WAIT);
    while (!gw.query(sql, args).get(0).getBoolean(0)) {
      if (Instant.now().isAfter(giveUp)) {
        throw new AssertionError("never true: " + what);
      }
      pause(20);
    }
  }

  void advance(Duration by) {
    clock.advance(by);
  }

  List<String> evidenceTypes(String orderId) {
    List<String> types = new ArrayList<>();
    for (Row row : gw.query("SELECT type FROM evidence_events WHERE order_id = $1 ORDER BY seq", orderId)) {
      types.add(row.getString("type"));
    }
    return types;
  }

  List<String> outbox(String orderId) {
    List<String> rows = new ArrayList<>();
    for (Row row : gw.query("SELECT kind, state, attempts, last_error FROM outbox WHERE order_id = $1 ORDER BY id",
        orderId)) {
      rows.add(row.getString("kind") + ":" + row.getString("state") + ":" + row.getInteger("attempts")
          + (row.getString("last_error") == null ? "" : ":" + row.getString("last_error")));
    }
    return rows;
  }

  /** The balance of an account over the whole ledger. */
  long balance(String account) {
    return gw.query("SELECT coalesce(sum(amount_minor), 0)::bigint FROM ledger_postings WHERE account = $1", account)
        .get(0).getLong(0);
  }

  /** Ledger transactions that do not sum to zero (should be none). */
  long unbalancedTransactions() {
    return gw.query("SELECT count(*) FROM (SELECT txn_id, currency FROM ledger_postings GROUP BY txn_id, currency"
        + " HAVING sum(amount_minor) <> 0) t").get(0).getLong(0);
  }

  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws Exception {
    gw.close();
  }
}
