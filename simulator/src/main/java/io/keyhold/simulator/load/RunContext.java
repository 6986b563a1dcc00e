package io.keyhold.simulator.load;

import io.keyhold.simulator.SimulationConfig;
import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.client.GatewayClient;
import io.keyhold.simulator.client.OrderFollower;
import io.keyhold.simulator.report.RunMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What every virtual buyer of one run shares: the client, the follower, the books, the metrics, the
 * arbiter, and the run's clock and hard stop. Used on the simulation's event-loop context only.
 */
public final class RunContext {
  /** Distinct error kinds kept for the report; more are counted under one "other" entry. */
  public static final int ERROR_KINDS_MAX = 50;

  private final Vertx vertx;
  private final SimulationConfig config;
  private final GatewayClient client;
  private final OrderFollower follower;
  private final Books books;
  private final RunMetrics metrics;
  private final String runId;
  private final long startMs;
  private final long stopAtMs;
  private final Arbiter arbiter;
  private final Map<String, Integer> errors = new TreeMap<>();
  private final Map<String, String> tokens = new HashMap<>();

  public RunContext(Vertx vertx, SimulationConfig config, GatewayClient client, OrderFollower follower, Books books,
      RunMetrics metrics, String runId, long startMs) {
    this.vertx = vertx;
    this.config = config;
    this.client = client;
    this.follower = follower;
    this.books = books;
    this.metrics = metrics;
    this.runId = runId;
    this.startMs = startMs;
    this.stopAtMs = startMs + config.runLimitMs();
    this.arbiter = new Arbiter(this);
  }

  /** Wall-clock milliseconds: comparable with the gateway's timeline times on the same machine. */
  public long nowMs() {
    return System.currentTimeMillis();
  }

  public Vertx vertx() {
    return vertx;
  }

  public SimulationConfig config() {
    return config;
  }

  public GatewayClient client() {
    return client;
  }

  public OrderFollower follower() {
    return follower;
  }

  public Books books() {
    return books;
  }

  public RunMetrics metrics() {
    return metrics;
  }

  /** A random id of this run; idempotency keys and shop names carry it, so two runs never collide. */
  public String runId() {
    return runId;
  }

  public long startMs() {
    return startMs;
  }

  /** When buyers stop waiting, whatever their order's state. */
  public long stopAtMs() {
    return stopAtMs;
  }

  public Arbiter arbiter() {
    return arbiter;
  }

  /** Counts one error of a kind (operation, status, code: never a key or token). */
  public void error(String kind) {
    String key = errors.containsKey(kind) || errors.size() < ERROR_KINDS_MAX ? kind : "other";
    errors.merge(key, 1, Integer::sum);
  }

  public Map<String, Integer> errors() {
    return new TreeMap<>(errors);
  }

  /** Remembers an order's buyer token, for the final look at every order; kept out of the books and the report. */
  public void token(String orderId, String token) {
    tokens.put(orderId, token);
  }

  /** The buyer token of an order, or null. */
  public String token(String orderId) {
    return tokens.get(orderId);
  }

  /** A pause of {@code ms} on the event loop (a timer, never a sleep). */
  public Future<Void> pause(long ms) {
    return ms <= 0 ? Future.succeededFuture() : vertx.timer(ms).mapEmpty();
  }
}
