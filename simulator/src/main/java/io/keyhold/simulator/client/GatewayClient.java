package io.keyhold.simulator.client;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * The gateway's HTTP API as the simulator uses it (the contract in the gateway's /openapi.yaml), by
 * role: {@link #operator()}, {@link #merchant()} (a shop's server), {@link #payer()} (the buyer at the
 * sandbox payment provider) and {@link #buyer()}. Nothing else: the simulator never reads the
 * gateway's database or classes. This class holds the connection pools the roles share; how a call
 * travels (retries, timeouts, reading the answer) is {@code GatewayTransport}'s.
 *
 * <p>Every POST the roles send carries an {@code Idempotency-Key}, so a call that got no answer (refused,
 * reset, timed out), a 503 or a 500 is asked again with the same key, within the bounds of a
 * {@link RetryPolicy} ({@link RetryPolicy#STANDARD} unless told), waiting what {@code Retry-After} says or
 * else backing off; {@link #retryCounts()} counts the retries by {@link RetryReason}. A 503 with a
 * {@code Keyhold-Ticket} is a place in the gateway's waiting room: the call comes back with the ticket when
 * {@code Retry-After} says, within {@link RetryPolicy#placeWaitMsMax()} rather than its failure bounds. Every
 * call has an idle timeout once sent and a bound on its wait for a pooled connection. Answers larger than
 * {@link #ANSWER_BYTES_MAX} are refused.
 */
public final class GatewayClient implements AutoCloseable {
  /** Longest a call waits for a free pooled connection before it fails without having been sent. */
  public static final long CONNECTION_WAIT_MS_MAX = 120_000;
  public static final int ANSWER_BYTES_MAX = 1024 * 1024;
  /** Requests waiting for a pooled connection before the client refuses more. */
  public static final int POOL_WAIT_QUEUE_MAX = 100_000;
  public static final int CONNECTIONS_MAX_MAX = 4_096;

  private final Vertx vertx;
  private final HttpClientAgent http;
  private final HttpClientAgent buyerHttp;
  private final HttpClientAgent streams;
  private final String adminToken;
  private final GatewayTransport transport;
  private final OperatorCalls operator;
  private final MerchantCalls merchant;
  private final PayerCalls payer;
  private final BuyerCalls buyer;

  private GatewayClient(Vertx vertx, HttpClientAgent http, HttpClientAgent buyerHttp, HttpClientAgent streams,
      String adminToken, GatewayTransport transport) {
    this.vertx = vertx;
    this.http = http;
    this.buyerHttp = buyerHttp;
    this.streams = streams;
    this.adminToken = adminToken;
    this.transport = transport;
    this.operator = new OperatorCalls(transport, adminToken);
    this.merchant = new MerchantCalls(transport);
    this.payer = new PayerCalls(transport);
    this.buyer = new BuyerCalls(transport);
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
    return create(vertx, baseUrl, adminToken, connectionsMax, buyerConnectionsMax, streamConnectionsMax,
        requestTimeoutMs, RetryPolicy.STANDARD);
  }

  /** {@link #create(Vertx, String, String, int, int, int, long)} with its own retry bounds. */
  public static GatewayClient create(Vertx vertx, String baseUrl, String adminToken, int connectionsMax,
      int buyerConnectionsMax, int streamConnectionsMax, long requestTimeoutMs, RetryPolicy retry) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(retry, "retry");
    checkConnections("connections max", connectionsMax);
    checkConnections("buyer connections max", buyerConnectionsMax);
    checkConnections("stream connections max", streamConnectionsMax);
    if (requestTimeoutMs < 1) {
      throw new IllegalArgumentException("request timeout ms must be greater than 0, but was " + requestTimeoutMs);
    }
    String base = normalizeBaseUrl(baseUrl);
    HttpClientAgent http = pool(vertx, connectionsMax, requestTimeoutMs);
    HttpClientAgent buyerHttp = pool(vertx, buyerConnectionsMax, requestTimeoutMs);
    GatewayTransport transport = GatewayTransport.over(vertx, WebClient.wrap(http), WebClient.wrap(buyerHttp), base,
        requestTimeoutMs, retry);
    return new GatewayClient(vertx, http, buyerHttp, pool(vertx, streamConnectionsMax, requestTimeoutMs), adminToken,
        transport);
  }

  /** A client with {@code connectionsMax} connections in each of its pools. */
  public static GatewayClient create(Vertx vertx, String baseUrl, String adminToken, int connectionsMax,
      long requestTimeoutMs) {
    return create(vertx, baseUrl, adminToken, connectionsMax, connectionsMax, connectionsMax, requestTimeoutMs);
  }

  /** A client with {@code connectionsMax} connections in each of its pools and its own retry bounds. */
  public static GatewayClient create(Vertx vertx, String baseUrl, String adminToken, int connectionsMax,
      long requestTimeoutMs, RetryPolicy retry) {
    return create(vertx, baseUrl, adminToken, connectionsMax, connectionsMax, connectionsMax, requestTimeoutMs,
        retry);
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
    return new GatewayClient(vertx, http, buyerHttp, streams, adminToken, transport.sendingBefore(sendBeforeMs));
  }

  /** The transport under the roles, for a call none of them makes (tests). */
  GatewayTransport transport() {
    return transport;
  }

  /** Calls sent or waiting for a connection now, over this client and its views. */
  public int callsInFlight() {
    return transport.callsInFlight();
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
    return transport.baseUrl();
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
    return transport.answerCounts();
  }

  /** How many retries were sent, keyed by {@link RetryReason#code()}. */
  public Map<String, Long> retryCounts() {
    return transport.retryCounts();
  }

  /** The operator's calls (admin token). */
  public OperatorCalls operator() {
    return operator;
  }

  /** A shop server's calls (the shop's API key on each call). */
  public MerchantCalls merchant() {
    return merchant;
  }

  /** The buyer's calls to the sandbox payment provider. */
  public PayerCalls payer() {
    return payer;
  }

  /** The buyer's calls (the order's token on each call). */
  public BuyerCalls buyer() {
    return buyer;
  }

  /** Closes the HTTP clients; returns at once, the pools close in the background. */
  @Override
  public void close() {
    http.close();
    buyerHttp.close();
    streams.close();
  }
}
