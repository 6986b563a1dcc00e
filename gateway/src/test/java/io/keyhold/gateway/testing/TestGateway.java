package io.keyhold.gateway.testing;

import io.keyhold.gateway.Gateway;
import io.keyhold.gateway.GatewayConfig;
import io.keyhold.gateway.store.DatabaseLocation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A whole gateway for a test: a fresh database ({@link TestDatabase}), a temporary data folder, the
 * HTTP server on 127.0.0.1 and a free port, and a plain JDK HTTP client to talk to it. Its outbound
 * allow-list names {@value #LOCAL_HOST}, where the tests' shops, issuers and webhook receivers listen
 * (plain http, loopback). Start one per test class ({@code @BeforeAll}) and close it in {@code @AfterAll}.
 *
 * <pre>{@code
 * static TestGateway gw;
 * @BeforeAll static void start() throws Exception { gw = TestGateway.start(); }
 * @AfterAll static void stop() throws Exception { gw.close(); }
 * @Test void something() {
 *   TestGateway.Merchant m = gw.createMerchant("Shop");
 *   TestGateway.Response r = gw.post("/v1/skus", m.apiKey(), "{...}");
 * }
 * }</pre>
 */
@SuppressWarnings("try") // close() may be interrupted while the gateway stops; tests let that propagate.
public final class TestGateway implements AutoCloseable {
  public static final Duration HTTP_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration AWAIT_TIMEOUT = Duration.ofSeconds(30);
  /** The one host the test gateway sends to outside public https. */
  public static final String LOCAL_HOST = "127.0.0.1";
  /** Tables whose row counts bad input must leave unchanged. */
  public static final List<String> TABLES =
      List.of("merchants", "api_keys", "skus", "stock_keys", "key_fingerprints", "idempotency_records");

  private final Gateway gateway;
  private final DatabaseLocation database;
  private final Path dataDir;
  private final String adminToken;
  private final HttpClient http;

  private TestGateway(Gateway gateway, DatabaseLocation database, Path dataDir, String adminToken) {
    this.gateway = gateway;
    this.database = database;
    this.dataDir = dataDir;
    this.adminToken = adminToken;
    this.http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();
  }

  public static TestGateway start() throws Exception {
    return start(builder -> { });
  }

  /** Starts a gateway; {@code customizer} may change the test config before it is built. */
  public static TestGateway start(Consumer<GatewayConfig.Builder> customizer) throws Exception {
    return start(TestDatabase.fresh(), customizer);
  }

  /**
   * Starts a gateway on {@code database}, a server of the test's own (see {@link RestartablePostgres}); closing
   * the gateway leaves that database alone.
   */
  public static TestGateway startOn(DatabaseLocation database, Consumer<GatewayConfig.Builder> customizer)
      throws Exception {
    return start(database, customizer);
  }

  private static TestGateway start(DatabaseLocation database, Consumer<GatewayConfig.Builder> customizer)
      throws Exception {
    Path dataDir = Files.createTempDirectory("keyhold-test-");
    String adminToken = "kha_test_" + UUID.randomUUID();
    GatewayConfig.Builder builder = GatewayConfig.builder()
        .host("127.0.0.1")
        .port(0)
        .dataDir(dataDir)
        .pgUrl(database.url())
        .adminToken(adminToken)
        .seedDemo(false)
        .outboundAllowHosts(List.of(LOCAL_HOST))
        .shutdownGraceMs(1_000);
    customizer.accept(builder);
    return new TestGateway(Gateway.start(builder.build()), database, dataDir, adminToken);
  }

  public Gateway gateway() {
    return gateway;
  }

  public String adminToken() {
    return adminToken;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + gateway.port();
  }

  public Response get(String path, String token) {
    return send(request(path, token).GET());
  }

  /** POST with {@code Content-Type: application/json}; {@code headers} are name, value pairs. */
  public Response post(String path, String token, String body, String... headers) {
    HttpRequest.Builder request = request(path, token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return send(request);
  }

  /** Any method, body and headers, for the odd cases (wrong method, wrong content type). */
  public Response send(String method, String path, String token, String body, String... headers) {
    HttpRequest.Builder request = request(path, token)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return send(request);
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(HTTP_TIMEOUT);
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return request;
  }

  private Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      Map<String, String> headers = new LinkedHashMap<>();
      response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(), values.get(0)));
      return new Response(response.statusCode(), headers, response.body());
    } catch (IOException e) {
      throw new IllegalStateException("HTTP request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  // ---- the HTTP flows every test drives: a shop is set up, a buyer checks out and pays

  /** Creates a merchant through the operator API and answers its credentials. */
  public Merchant createMerchant(String name) {
    return createMerchant(name, 200, null, null);
  }

  /**
   * Creates a merchant with {@code adapter} (null: the stock adapter) and {@code webhookUrl} (null:
   * none) and answers its credentials.
   */
  public Merchant createMerchant(String name, int feeBasisPoints, JsonObject adapter, String webhookUrl) {
    JsonObject body = new JsonObject().put("name", name).put("fee_basis_points", feeBasisPoints);
    if (adapter != null) {
      body.put("adapter", adapter);
    }
    if (webhookUrl != null) {
      body.put("webhook_url", webhookUrl);
    }
    JsonObject json = created("creating a merchant", post("/admin/v1/merchants", adminToken, body.encode()));
    return new Merchant(json.getString("id"), json.getString("api_key"), json.getString("webhook_secret"));
  }

  /** Creates a SKU priced 1000 CNY for {@code merchant} and answers its id. */
  public String createSku(Merchant merchant) {
    return createSku(merchant, new JsonObject().put("name", "Game card").put("price", 1000).put("currency", "CNY"));
  }

  /** Creates the SKU {@code body} describes for {@code merchant} and answers its id. */
  public String createSku(Merchant merchant, JsonObject body) {
    return created("creating a SKU", post("/v1/skus", merchant.apiKey(), body.encode())).getString("id");
  }

  /** A checkout session: its id, its order, the buyer's order token (from the order link) and the answer. */
  public record Session(String id, String orderId, String token, JsonObject json) {}

  /** The buyer API's path of an order: {@code /v1/buyer/orders/<id>} plus {@code suffix} ("" or "/reveal", ...). */
  public static String buyerOrderPath(String orderId, String suffix) {
    return "/v1/buyer/orders/" + orderId + suffix;
  }

  /** Asks for a checkout session of {@code quantity} units; answers whatever the gateway said. */
  public Response tryCheckout(String apiKey, String skuId, int quantity) {
    return post("/v1/checkout-sessions", apiKey,
        new JsonObject().put("sku_id", skuId).put("quantity", quantity).encode());
  }

  /** A checkout session of {@code quantity} units; the order awaits payment. */
  public Session checkout(String apiKey, String skuId, int quantity) {
    JsonObject json = created("creating a checkout session", tryCheckout(apiKey, skuId, quantity));
    String query = URI.create(json.getString("order_url")).getQuery();
    return new Session(json.getString("id"), json.getString("order_id"), query.substring(query.indexOf("t=") + 2),
        json);
  }

  /** Starts a sandbox payment of {@code amount} ({@code {amount, currency}}) for the order; answers its id. */
  public String startSandboxPayment(String orderId, String token, JsonObject amount) {
    return created("starting a sandbox payment", post("/v1/sandbox/payments", null, new JsonObject()
        .put("order_id", orderId).put("order_token", token).put("amount", amount).encode())).getString("payment_id");
  }

  /** The buyer confirms a sandbox payment, as the pay page does. */
  public void confirmSandboxPayment(String paymentId) {
    Response confirmed = post("/v1/sandbox/payments/" + paymentId + "/confirm", null, "{}");
    if (confirmed.status() != 200) {
      throw new IllegalStateException("confirming a sandbox payment answered " + confirmed);
    }
  }

  private static JsonObject created(String what, Response response) {
    if (response.status() != 201) {
      throw new IllegalStateException(what + " answered " + response);
    }
    return response.json();
  }

  /** Uploads keys; answers the response. */
  public Response uploadKeys(Merchant merchant, String skuId, List<String> keys) {
    return post("/v1/skus/" + skuId + "/stock", merchant.apiKey(),
        new JsonObject().put("keys", new JsonArray(new ArrayList<>(keys))).encode());
  }

  /** Rows in each of {@link #TABLES}. */
  public Map<String, Long> rowCounts() {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String table : TABLES) {
      counts.put(table, await(gateway.pool().query("SELECT count(*) FROM " + table).execute())
          .iterator().next().getLong(0));
    }
    return counts;
  }

  /** Runs SQL on the gateway's pool and answers the rows. */
  public List<Row> query(String sql, Object... args) {
    List<Row> rows = new ArrayList<>();
    await(gateway.pool().preparedQuery(sql).execute(Tuple.from(args))).forEach(rows::add);
    return rows;
  }

  /** Waits for a future from a test thread. */
  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits for a future that must fail, from a test thread, and answers its failure. */
  public static Throwable failureOf(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    throw new AssertionError("expected a failure, but it succeeded");
  }

  @Override
  public void close() throws Exception {
    try {
      gateway.close();
    } finally {
      if (database.database().startsWith("keyhold_test_")) {
        TestDatabase.drop(database);
      }
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  /** A merchant's credentials as shown once at creation. */
  public record Merchant(String id, String apiKey, String webhookSecret) {}

  /** An HTTP answer; header names lower case. */
  public record Response(int status, Map<String, String> headers, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String contentType() {
      return headers.get("content-type");
    }

    /** The problem's {@code code}, or null when the body is not a problem. */
    public String problemCode() {
      return contentType() != null && contentType().startsWith("application/problem+json")
          ? json().getString("code") : null;
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }
}
