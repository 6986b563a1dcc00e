package io.keyhold.simulator.client;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway's HTTP API as the simulator uses it: operator, merchant, checkout, sandbox payment and
 * buyer calls (the contract in the gateway's /openapi.yaml). Nothing else: the simulator never reads the
 * gateway's database or classes.
 *
 * <p>Every POST carries an {@code Idempotency-Key}, so a call that got no answer or a 503 is asked
 * again with the same key, at most {@link #RETRIES_MAX} times, waiting what {@code Retry-After}
 * says (capped at {@link #RETRY_DELAY_MS_MAX}). Every call has an idle timeout once sent and a bound
 * on its wait for a pooled connection. Answers larger than {@link #ANSWER_BYTES_MAX} are refused.
 */
public final class GatewayClient implements AutoCloseable {
  /** Longest a call waits for a free pooled connection before it fails without having been sent. */
  public static final long CONNECTION_WAIT_MS_MAX = 120_000;
  public static final int RETRIES_MAX = 4;
  public static final long RETRY_DELAY_MS_MIN = 50;
  public static final long RETRY_DELAY_MS_MAX = 2_000;
  public static final int ANSWER_BYTES_MAX = 1024 * 1024;
  /** Requests waiting for a pooled connection before the client refuses more. */
  public static final int POOL_WAIT_QUEUE_MAX = 100_000;
  public static final int CONNECTIONS_MAX_MAX = 4_096;

  private final Vertx vertx;
  private final HttpClientAgent http;
  private final HttpClientAgent buyerHttp;
  private final HttpClientAgent streams;
  private final WebClient web;
  private final WebClient buyerWeb;
  private final String baseUrl;
  private final String adminToken;
  private final long requestTimeoutMs;
  private final long sendBeforeMs;
  private final Map<String, LongAdder> answers;
  private final AtomicInteger inFlight;

  private GatewayClient(Vertx vertx, HttpClientAgent http, HttpClientAgent buyerHttp, HttpClientAgent streams,
      String baseUrl, String adminToken, long requestTimeoutMs) {
    this(vertx, http, buyerHttp, streams, baseUrl, adminToken, requestTimeoutMs, Long.MAX_VALUE,
        new ConcurrentHashMap<>(), new AtomicInteger());
  }

  private GatewayClient(Vertx vertx, HttpClientAgent http, HttpClientAgent buyerHttp, HttpClientAgent streams,
      String baseUrl, String adminToken, long requestTimeoutMs, long sendBeforeMs, Map<String, LongAdder> answers,
      AtomicInteger inFlight) {
    this.sendBeforeMs = sendBeforeMs;
    this.answers = answers;
    this.inFlight = inFlight;
    this.vertx = vertx;
    this.http = http;
    this.buyerHttp = buyerHttp;
    this.streams = streams;
    this.web = WebClient.wrap(http);
    this.buyerWeb = WebClient.wrap(buyerHttp);
    this.baseUrl = baseUrl;
    this.adminToken = adminToken;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /**
   * A client for the gateway at {@code baseUrl}, with three pools, as a real promotion has three kinds
   * of callers: the shops' servers and the operator ({@code connectionsMax}: merchant and operator
   * API), the buyers' browsers ({@code buyerConnectionsMax}: checkout page, sandbox payments, buyer
   * API), and the buyers' event streams ({@code streamConnectionsMax}; a stream holds its connection
   * while open). A buyer's payment never queues behind other buyers' checkouts in this client, and a
   * stream never starves a call. More calls than connections wait in their pool's queue; each call is
   * given {@code requestTimeoutMs} of silence once sent.
   */
  public static GatewayClient create(Vertx vertx, String baseUrl, String adminToken, int connectionsMax,
      int buyerConnectionsMax, int streamConnectionsMax, long requestTimeoutMs) {
    Objects.requireNonNull(vertx, "vertx");
    checkConnections("connections max", connectionsMax);
    checkConnections("buyer connections max", buyerConnectionsMax);
    checkConnections("stream connections max", streamConnectionsMax);
    if (requestTimeoutMs < 1) {
      throw new IllegalArgumentException("request timeout ms must be greater than 0, but was " + requestTimeoutMs);
    }
    String base = normalizeBaseUrl(baseUrl);
    return new GatewayClient(vertx, pool(vertx, connectionsMax, requestTimeoutMs),
        pool(vertx, buyerConnectionsMax, requestTimeoutMs), pool(vertx, streamConnectionsMax, requestTimeoutMs), base,
        adminToken, requestTimeoutMs);
  }

  /** A client with {@code connectionsMax} connections in each of its pools. */
  public static GatewayClient create(Vertx vertx, String baseUrl, String adminToken, int connectionsMax,
      long requestTimeoutMs) {
    return create(vertx, baseUrl, adminToken, connectionsMax, connectionsMax, connectionsMax, requestTimeoutMs);
  }

  private static void checkConnections(String name, int value) {
    if (value < 1 || value > CONNECTIONS_MAX_MAX) {
      throw new IllegalArgumentException(name + " must be between 1 and " + CONNECTIONS_MAX_MAX + ", but was "
          + value);
    }
  }

  private static HttpClientAgent pool(Vertx vertx, int connectionsMax, long requestTimeoutMs) {
    return vertx.httpClientBuilder()
        .with(new HttpClientOptions().setKeepAlive(true).setConnectTimeout((int) Math.min(requestTimeoutMs, 10_000)))
        .with(new PoolOptions().setHttp1MaxSize(connectionsMax).setMaxWaitQueueSize(POOL_WAIT_QUEUE_MAX))
        .build();
  }

  /**
   * The same client (pools, counters) for callers that stop at {@code sendBeforeMs} (wall clock): a
   * call is not sent, nor retried, after it, and waits for a pooled connection only until then. The
   * run's buyers use it, so calls queued behind a slow gateway do not trickle on after the run stops.
   */
  public GatewayClient sendingBefore(long sendBeforeMs) {
    return new GatewayClient(vertx, http, buyerHttp, streams, baseUrl, adminToken, requestTimeoutMs, sendBeforeMs,
        answers, inFlight);
  }

  /** Calls sent or waiting for a connection now, over this client and its views. */
  public int callsInFlight() {
    return inFlight.get();
  }

  /** {@code http(s)://host[:port]} without a trailing slash; rejects anything else, naming it. */
  public static String normalizeBaseUrl(String url) {
    URI uri;
    try {
      uri = new URI(Objects.requireNonNull(url, "gateway url"));
    } catch (Exception e) {
      throw new IllegalArgumentException("gateway url must be an http(s) URL, but was '" + url + "'");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
        || uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("gateway url must be an http(s) URL with a host and no query, but was '"
          + url + "'");
    }
    return url.replaceFirst("/+$", "");
  }

  public String baseUrl() {
    return baseUrl;
  }

  /** The HTTP client of calls. */
  public HttpClientAgent http() {
    return http;
  }

  /** The HTTP client of event streams (server-sent events), with a pool of its own. */
  public HttpClientAgent streams() {
    return streams;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** How many answers of each kind came, keyed {@code "<operation> <status>"} (status 0: no answer). */
  public Map<String, Long> answerCounts() {
    Map<String, Long> counts = new TreeMap<>();
    answers.forEach((key, adder) -> counts.put(key, adder.sum()));
    return counts;
  }

  // ---- operator ----

  /** {@code POST /admin/v1/merchants}. */
  public Future<CreatedMerchant> createMerchant(JsonObject merchant) {
    return send("createMerchant", HttpMethod.POST, "/admin/v1/merchants", adminToken, merchant, null)
        .map(json -> {
          String id = json.getString("id");
          String apiKey = json.getString("api_key");
          if (id == null || apiKey == null) {
            throw new ApiProblem("createMerchant", 201, ApiProblem.UNREADABLE, "no id or api_key in the answer", -1);
          }
          return new CreatedMerchant(id, apiKey);
        });
  }

  /**
   * {@code GET /admin/v1/audit?sweeper_lag_seconds=N}: the gateway's own check of the money
   * invariants, allowing orders {@code sweeperLagSeconds} past a deadline.
   */
  public Future<JsonObject> audit(long sweeperLagSeconds) {
    return send("audit", HttpMethod.GET, "/admin/v1/audit?sweeper_lag_seconds=" + sweeperLagSeconds, adminToken,
        null, null);
  }

  /**
   * One page of {@code GET /admin/v1/disputes?state=open}: {@code {items, next_cursor}}.
   *
   * @param cursor the previous page's {@code next_cursor}, or null for the first page
   */
  public Future<JsonObject> openDisputes(String cursor) {
    String query = cursor == null ? "" : "&cursor=" + java.net.URLEncoder.encode(cursor, StandardCharsets.UTF_8);
    return send("listDisputes", HttpMethod.GET, "/admin/v1/disputes?state=open" + query, adminToken, null, null);
  }

  /** {@code POST /admin/v1/disputes/{id}/decision}. */
  public Future<JsonObject> decideDispute(String disputeId, String award) {
    return send("decideDispute", HttpMethod.POST, "/admin/v1/disputes/" + disputeId + "/decision", adminToken,
        new JsonObject().put("award", award), "decide-" + disputeId);
  }

  // ---- merchant ----

  /** {@code POST /v1/skus}: the new SKU's id. */
  public Future<String> createSku(String apiKey, JsonObject sku) {
    return send("createSku", HttpMethod.POST, "/v1/skus", apiKey, sku, null).map(json -> {
      String id = json.getString("id");
      if (id == null) {
        throw new ApiProblem("createSku", 201, ApiProblem.UNREADABLE, "no id in the answer", -1);
      }
      return id;
    });
  }

  /** {@code POST /v1/skus/{id}/stock}: how many keys were accepted. */
  public Future<Integer> uploadStock(String apiKey, String skuId, List<String> keys) {
    return send("uploadStock", HttpMethod.POST, "/v1/skus/" + skuId + "/stock", apiKey,
        new JsonObject().put("keys", new JsonArray(keys)), null)
        .map(json -> json.getValue("accepted") instanceof Number n ? n.intValue() : keys.size());
  }

  /** {@code POST /v1/checkout-sessions}: a session for one buyer, stock reserved. */
  public Future<CheckoutSession> createCheckout(String apiKey, String skuId, int quantity, String buyerRef,
      String idempotencyKey) {
    JsonObject body = new JsonObject().put("sku_id", skuId).put("quantity", quantity).put("buyer_ref", buyerRef);
    return send("createCheckout", HttpMethod.POST, "/v1/checkout-sessions", apiKey, body, idempotencyKey)
        .compose(json -> {
          String id = json.getString("id");
          String orderId = json.getString("order_id");
          if (id == null || orderId == null) {
            return Future.failedFuture(new ApiProblem("createCheckout", 201, ApiProblem.UNREADABLE,
                "no id or order_id in the answer", -1));
          }
          String token = queryParam(json.getString("order_url"), "t");
          if (token != null) {
            return Future.succeededFuture(new CheckoutSession(id, orderId, token));
          }
          return send("getCheckout", HttpMethod.GET, "/v1/checkout-sessions/" + id, null, null, null)
              .map(session -> new CheckoutSession(id, orderId, session.getString("order_token")));
        });
  }

  // ---- sandbox payments ----

  /** {@code POST /v1/sandbox/payments}: the payment's id. */
  public Future<String> createPayment(String orderId, String orderToken, Amount amount, String idempotencyKey) {
    JsonObject body = new JsonObject().put("order_id", orderId).put("order_token", orderToken)
        .put("amount", amount.toJson());
    return send("createPayment", HttpMethod.POST, "/v1/sandbox/payments", null, body, idempotencyKey)
        .map(json -> {
          String id = json.getString("payment_id");
          if (id == null) {
            throw new ApiProblem("createPayment", 201, ApiProblem.UNREADABLE, "no payment_id in the answer", -1);
          }
          return id;
        });
  }

  /** {@code POST /v1/sandbox/payments/{id}/confirm}: the buyer presses "Pay". */
  public Future<JsonObject> confirmPayment(String paymentId, String idempotencyKey) {
    return send("confirmPayment", HttpMethod.POST, "/v1/sandbox/payments/" + paymentId + "/confirm", null,
        new JsonObject(), idempotencyKey);
  }

  // ---- buyer ----

  /** {@code GET /v1/buyer/orders/{id}}. */
  public Future<OrderView> order(String orderId, String orderToken) {
    return send("getOrder", HttpMethod.GET, "/v1/buyer/orders/" + orderId, orderToken, null, null)
        .map(OrderView::fromJson);
  }

  /**
   * {@code GET /v1/buyer/orders/{id}} asked once, without retries: for a poll, whose next round is
   * the retry, so an overloaded gateway is not asked five times as often.
   */
  public Future<OrderView> orderOnce(String orderId, String orderToken) {
    return once("pollOrder", HttpMethod.GET, "/v1/buyer/orders/" + orderId, orderToken, null, null)
        .map(OrderView::fromJson);
  }

  /** {@code POST /v1/buyer/orders/{id}/reveal}: the order with its keys. */
  public Future<OrderView> reveal(String orderId, String orderToken) {
    return buyerPost("reveal", orderId, orderToken, "reveal", new JsonObject());
  }

  public Future<OrderView> confirm(String orderId, String orderToken) {
    return buyerPost("confirm", orderId, orderToken, "confirm", new JsonObject());
  }

  public Future<OrderView> cancel(String orderId, String orderToken) {
    return buyerPost("cancel", orderId, orderToken, "cancel", new JsonObject());
  }

  /** {@code POST /v1/buyer/orders/{id}/disputes}: the raw answer (a dispute, or the order). */
  public Future<JsonObject> dispute(String orderId, String orderToken, String reason, String text) {
    return send("dispute", HttpMethod.POST, "/v1/buyer/orders/" + orderId + "/disputes", orderToken,
        new JsonObject().put("reason", reason).put("text", text), "dispute-" + orderId);
  }

  /** The URL of the order's event stream (server-sent events). */
  public String eventsUrl(String orderId) {
    return baseUrl + "/v1/buyer/orders/" + orderId + "/events";
  }

  private Future<OrderView> buyerPost(String operation, String orderId, String orderToken, String action,
      JsonObject body) {
    // One key per order and action: a buyer pressing twice, or a retry, is the same request.
    return send(operation, HttpMethod.POST, "/v1/buyer/orders/" + orderId + "/" + action, orderToken, body,
        action + "-" + orderId)
        .map(json -> json.getValue("order") instanceof JsonObject order ? OrderView.fromJson(order)
            : OrderView.fromJson(json));
  }

  // ---- plumbing ----

  private Future<JsonObject> send(String operation, HttpMethod method, String path, String bearer, JsonObject body,
      String idempotencyKey) {
    String key = method == HttpMethod.POST && idempotencyKey == null ? UUID.randomUUID().toString() : idempotencyKey;
    return attempt(operation, method, path, bearer, body, key, 0);
  }

  private Future<JsonObject> attempt(String operation, HttpMethod method, String path, String bearer,
      JsonObject body, String idempotencyKey, int retry) {
    return once(operation, method, path, bearer, body, idempotencyKey).recover(failure -> {
      if (failure instanceof ApiProblem problem && problem.retryable() && retry < RETRIES_MAX
          && (method == HttpMethod.GET || idempotencyKey != null) && System.currentTimeMillis() < sendBeforeMs) {
        long backoff = Math.max(RETRY_DELAY_MS_MIN, RETRY_DELAY_MS_MIN << retry);
        long base = Math.min(RETRY_DELAY_MS_MAX, problem.retryAfterMs() > 0 ? problem.retryAfterMs() : backoff);
        // Jitter on top of the asked delay, as well-behaved clients do: a crowd told "retry after 1 s"
        // must not come back in the same millisecond. Timing only, so not drawn from the run's seed.
        long delay = base + ThreadLocalRandom.current().nextLong(base + 1);
        return vertx.timer(delay).compose(fired ->
            attempt(operation, method, path, bearer, body, idempotencyKey, retry + 1));
      }
      return Future.failedFuture(failure);
    });
  }

  private Future<JsonObject> once(String operation, HttpMethod method, String path, String bearer, JsonObject body,
      String idempotencyKey) {
    // The idle timeout bounds the gateway's silence once the request is sent; waiting for a pooled
    // connection has its own, longer bound: a call queued behind others in this client is slow, not lost,
    // and must not be sent again just because the queue was long.
    long sendWithinMs = Math.min(CONNECTION_WAIT_MS_MAX, sendBeforeMs - System.currentTimeMillis());
    if (sendWithinMs <= 0) {
      return Future.failedFuture(new ApiProblem(operation, 0, ApiProblem.NOT_SENT, "the run has stopped", -1));
    }
    HttpRequest<Buffer> request = (buyerSide(path) ? buyerWeb : web).requestAbs(method, baseUrl + path)
        .connectTimeout(sendWithinMs)
        .idleTimeout(requestTimeoutMs)
        .putHeader("Accept", "application/json");
    if (bearer != null) {
      request.putHeader("Authorization", "Bearer " + bearer);
    }
    if (idempotencyKey != null) {
      request.putHeader("Idempotency-Key", idempotencyKey);
    }
    inFlight.incrementAndGet();
    Future<HttpResponse<Buffer>> sent = (body == null ? request.send() : request.sendJsonObject(body))
        .andThen(done -> inFlight.decrementAndGet());
    return sent.transform(result -> {
      if (result.failed()) {
        count(operation, 0);
        return Future.failedFuture(ApiProblem.noAnswer(operation, result.cause()));
      }
      HttpResponse<Buffer> response = result.result();
      count(operation, response.statusCode());
      return Future.succeededFuture(read(operation, response));
    });
  }

  private static JsonObject read(String operation, HttpResponse<Buffer> response) {
    Buffer buffer = response.bodyAsBuffer();
    int status = response.statusCode();
    if (buffer != null && buffer.length() > ANSWER_BYTES_MAX) {
      throw new ApiProblem(operation, status, ApiProblem.UNREADABLE, "answer larger than " + ANSWER_BYTES_MAX
          + " bytes", -1);
    }
    JsonObject json = null;
    if (buffer != null && buffer.length() > 0) {
      try {
        json = buffer.toJsonObject();
      } catch (DecodeException | ClassCastException e) {
        json = null;
      }
    }
    if (status >= 200 && status < 300) {
      if (json == null) {
        if (buffer == null || buffer.length() == 0) {
          return new JsonObject();
        }
        throw new ApiProblem(operation, status, ApiProblem.UNREADABLE, "the answer is not a JSON object", -1);
      }
      return json;
    }
    String code = json != null && json.getValue("code") instanceof String c ? c : ApiProblem.UNREADABLE;
    String detail = json != null && json.getValue("detail") instanceof String d ? d : null;
    throw new ApiProblem(operation, status, code, detail, retryAfterMs(response.headers()));
  }

  /** The buyers' calls: what a browser sends (checkout page data, sandbox payments, the buyer API). */
  static boolean buyerSide(String path) {
    return path.startsWith("/v1/buyer/") || path.startsWith("/v1/sandbox/")
        || path.startsWith("/v1/checkout-sessions/");
  }

  static long retryAfterMs(MultiMap headers) {
    String value = headers.get("Retry-After");
    if (value == null) {
      return -1;
    }
    try {
      return Math.max(0, Long.parseLong(value.trim())) * 1000;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void count(String operation, int status) {
    answers.computeIfAbsent(operation + " " + status, k -> new LongAdder()).increment();
  }

  /** The value of query parameter {@code name} in {@code url}, or null. */
  static String queryParam(String url, String name) {
    if (url == null) {
      return null;
    }
    int question = url.indexOf('?');
    if (question < 0) {
      return null;
    }
    for (String pair : url.substring(question + 1).split("&")) {
      int equals = pair.indexOf('=');
      if (equals > 0 && pair.substring(0, equals).equals(name)) {
        return URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** Closes the HTTP clients; returns at once, the pools close in the background. */
  @Override
  public void close() {
    http.close();
    buyerHttp.close();
    streams.close();
  }
}
