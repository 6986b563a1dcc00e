package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.store.DatabaseOutage;
import io.keyhold.gateway.testing.AutoFailoverCluster;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Losing the database primary loses nothing: a flash sale runs against a gateway given both nodes of a
 * pg_auto_failover pair (a primary and its synchronous standby, {@link AutoFailoverCluster}); mid-sale the
 * monitor fails the primary over. The gateway must follow the new primary by itself within
 * {@link #FOLLOW_MAX}, answer the outage 503 (never 500), and every write it acknowledged — checkouts, payments
 * taken, orders it showed funded or ready with their delivered keys, deposit top-ups — must be on the new
 * primary; then the ledger audit passes. Prints the figures: acknowledged writes lost, time from the failover's
 * start to the first write acknowledged on the new primary, orders funded, 503s.
 *
 * <p>Skips, saying what to install, where pg_auto_failover is missing; fails instead under CI ({@code CI=true}),
 * where {@code .ci/run} installs it.
 */
class PrimaryFailoverTest {
  /** The gateway must take writes on the new primary this soon after the failover starts. */
  static final Duration FOLLOW_MAX = Duration.ofSeconds(30);
  static final int BUYERS = 6;
  /** A flash sale's limited stock: more than the run sells on a fast machine, so no buyer waits on an empty SKU. */
  static final int STOCK_KEYS = 300;
  static final long SALE_BEFORE_FAILOVER_MS = 4_000;
  static final long SALE_AFTER_FAILOVER_MS = 8_000;
  static final long PURCHASE_PAUSE_MS = 40;
  /** How long a buyer watches a paid order for "ready" before buying again (the keys come within a second). */
  static final Duration WATCH_MAX = Duration.ofSeconds(10);
  static final long WATCH_POLL_MS = 100;
  /** The operator's write that measures when the gateway follows: a deposit top-up of one minor unit, this often. */
  static final long TOP_UP_INTERVAL_MS = 50;
  static final long PROMOTION_POLL_MS = 20;
  static final Duration ORDERS_FUNDED_MAX = Duration.ofSeconds(60);
  static final Set<String> FUNDED_OR_LATER = Set.of("funded", "validating", "ready");

  /** One write the test sent: what, when it was sent and answered (System.nanoTime), and its status. */
  record Write(String what, long sentNanos, long answeredNanos, int status) {}

  @Test
  void losesNoAcknowledgedWriteAndFollowsTheNewPrimaryWhenThePrimaryFailsOver() throws Exception {
    if (!AutoFailoverCluster.installed()) {
      if ("true".equals(System.getenv("CI"))) {
        fail("pg_auto_failover is missing, and CI must run the failover test: " + AutoFailoverCluster.INSTALL);
      }
      assumeTrue(false, "pg_auto_failover is not installed, so the failover test is skipped: "
          + AutoFailoverCluster.INSTALL);
    }
    try (AutoFailoverCluster cluster = AutoFailoverCluster.start();
         TestGateway gw = TestGateway.startOn(cluster.location(), config -> config
             .engine(Flows.fastEngine().build()).requestTimeoutMs(10_000))) {
      int primaryBefore = cluster.primary();
      assertThat(primaryBefore).as("a primary before the failover").isPositive();
      Purchases.Shop shop = new Purchases(gw).stockShop(STOCK_KEYS, null);

      List<DatabaseRestartTest.Answer> answers = new CopyOnWriteArrayList<>();
      List<Write> writes = new CopyOnWriteArrayList<>();
      List<String> gaveUp = new CopyOnWriteArrayList<>();
      Set<String> ordersPlaced = ConcurrentHashMap.newKeySet();
      Set<String> paymentsStarted = ConcurrentHashMap.newKeySet();
      Set<String> paymentsTaken = ConcurrentHashMap.newKeySet();
      Map<String, String> furthestSeen = new ConcurrentHashMap<>();
      AtomicLong topUpsAcknowledged = new AtomicLong();
      AtomicBoolean running = new AtomicBoolean(true);

      ExecutorService clients = Executors.newFixedThreadPool(BUYERS + 1);
      List<Future<?>> started = new ArrayList<>();
      for (int b = 0; b < BUYERS; b++) {
        started.add(clients.submit(() -> {
          while (running.get()) {
            buyOne(gw, shop, answers, writes, gaveUp, ordersPlaced, paymentsStarted, paymentsTaken, furthestSeen);
            Thread.sleep(PURCHASE_PAUSE_MS);
          }
          return null;
        }));
      }
      started.add(clients.submit(() -> {
        topUps(gw, shop.merchant().id(), running, answers, writes, topUpsAcknowledged);
        return null;
      }));

      Thread.sleep(SALE_BEFORE_FAILOVER_MS);
      int promoted = 3 - primaryBefore;
      long failoverStart = System.nanoTime();
      AtomicLong promotedAt = new AtomicLong();
      Thread watcher = new Thread(() -> promotedAt.set(awaitPromotion(cluster, promoted)), "promotion-watcher");
      watcher.start();
      cluster.failover();
      watcher.join(AutoFailoverCluster.FAILOVER_TIMEOUT.toMillis());
      System.out.println("PrimaryFailoverTest failover done after "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failoverStart) + " ms:\n" + cluster.state());
      Thread.sleep(SALE_AFTER_FAILOVER_MS);
      running.set(false);
      for (Future<?> client : started) {
        client.get(DatabaseRestartTest.STEP_RETRIES_MAX.toSeconds() * 3, TimeUnit.SECONDS);
      }
      clients.shutdown();

      assertThat(cluster.primary()).as("the primary after the failover").isEqualTo(promoted);
      assertThat(promotedAt.get()).as("node %d seen promoted", promoted).isPositive();
      long followedAt = writes.stream()
          .filter(write -> write.status() / 100 == 2 && write.sentNanos() >= promotedAt.get())
          .mapToLong(Write::answeredNanos).min().orElse(Long.MAX_VALUE);
      assertThat(followedAt).as("a write acknowledged after node %d was promoted", promoted)
          .isLessThan(Long.MAX_VALUE);
      Duration follow = Duration.ofNanos(followedAt - failoverStart);
      Duration promotion = Duration.ofNanos(promotedAt.get() - failoverStart);

      Map<String, Long> statuses = answers.stream().collect(Collectors.groupingBy(
          answer -> answer.step() + " " + answer.status() + (answer.code() == null ? "" : " " + answer.code()),
          Collectors.counting()));
      long unavailable = answers.stream().filter(answer -> answer.status() == 503).count();
      assertThat(answers).as("no 500, no request left unanswered: %s", statuses)
          .noneMatch(answer -> answer.status() >= 500 && answer.status() != 503 || answer.status() < 0);
      assertThat(answers.stream().filter(answer -> answer.status() == 503))
          .as("every 503 says why and when to come back: %s", statuses)
          .allSatisfy(answer -> {
            assertThat(answer.code()).isIn(DatabaseRestartTest.OUTAGE_CODES);
            assertThat(answer.retryAfter()).isNotNull();
          });
      assertThat(gaveUp).as("steps given up after %s of retries", DatabaseRestartTest.STEP_RETRIES_MAX).isEmpty();

      // The engine followed too: every payment taken funds its order, on the new primary.
      Flows.awaitPaidOrdersFunded(gw, ORDERS_FUNDED_MAX);
      List<String> lost = lostOnNewPrimary(cluster.node(promoted), shop.merchant().id(), ordersPlaced,
          paymentsStarted, paymentsTaken, furthestSeen, topUpsAcknowledged.get());
      long funded = furthestSeen.values().stream().filter(FUNDED_OR_LATER::contains).count();
      System.out.println("PrimaryFailoverTest figures: acknowledged writes lost: " + lost.size()
          + "; time to follow the new primary: " + follow.toMillis() + " ms (node " + promoted + " promoted after "
          + promotion.toMillis() + " ms); orders placed " + ordersPlaced.size() + ", payments taken "
          + paymentsTaken.size() + ", orders seen funded or later " + funded + ", top-ups acknowledged "
          + topUpsAcknowledged.get() + "; 503 answers seen: " + unavailable + " (gateway counted "
          + (long) gw.gateway().meterRegistry().counter(DatabaseOutage.METRIC).count() + " database_unavailable)"
          + "; answers: " + statuses);
      assertThat(lost).as("acknowledged writes missing on the new primary (node %d)", promoted).isEmpty();
      assertThat(follow).as("time from the failover's start to a write acknowledged on the new primary")
          .isLessThanOrEqualTo(FOLLOW_MAX);
      assertThat(ordersPlaced).as("orders placed").isNotEmpty();
      assertThat(funded).as("orders seen funded or later").isPositive();

      JsonObject audit = gw.get("/admin/v1/audit", gw.adminToken()).json();
      assertThat(audit.getBoolean("ok")).as(audit.encodePrettily()).isTrue();
    }
  }

  /**
   * One buyer of the sale: a checkout, a sandbox payment started and confirmed (each retried on 503 with its
   * Idempotency-Key or id, as DatabaseRestartTest does), then the order watched until "ready". Records what the
   * gateway acknowledged: the order (201), the payment started (201) and taken (200), the furthest state shown.
   */
  private static void buyOne(TestGateway gw, Purchases.Shop shop, List<DatabaseRestartTest.Answer> answers,
      List<Write> writes, List<String> gaveUp, Set<String> ordersPlaced, Set<String> paymentsStarted,
      Set<String> paymentsTaken, Map<String, String> furthestSeen) throws InterruptedException {
    String key = UUID.randomUUID().toString();
    String checkoutBody = new JsonObject().put("sku_id", shop.skuId()).put("quantity", 1).encode();
    TestGateway.Response session = DatabaseRestartTest.retried("checkout", answers, gaveUp, timed("checkout", writes,
        () -> gw.post("/v1/checkout-sessions", shop.merchant().apiKey(), checkoutBody, "Idempotency-Key", key)));
    if (session == null || session.status() != 201) {
      return;
    }
    String orderId = session.json().getString("order_id");
    ordersPlaced.add(orderId);
    String orderUrl = session.json().getString("order_url");
    String token = orderUrl.substring(orderUrl.indexOf("t=") + 2);
    String startBody = new JsonObject().put("order_id", orderId).put("order_token", token)
        .put("amount", new JsonObject().put("amount", 1000).put("currency", "CNY")).encode();
    TestGateway.Response payment = DatabaseRestartTest.retried("pay", answers, gaveUp, timed("pay", writes,
        () -> gw.post("/v1/sandbox/payments", null, startBody)));
    if (payment == null || payment.status() != 201) {
      return;
    }
    String paymentId = payment.json().getString("payment_id");
    paymentsStarted.add(paymentId);
    TestGateway.Response confirmed = DatabaseRestartTest.retried("confirm", answers, gaveUp, timed("confirm", writes,
        () -> gw.post("/v1/sandbox/payments/" + paymentId + "/confirm", null, "{}")));
    if (confirmed == null || confirmed.status() != 200) {
      return;
    }
    paymentsTaken.add(paymentId);
    long deadline = System.nanoTime() + WATCH_MAX.toNanos();
    String path = TestGateway.buyerOrderPath(orderId, "");
    while (System.nanoTime() < deadline) {
      TestGateway.Response view = gw.get(path, token);
      answers.add(new DatabaseRestartTest.Answer("watch", view.status(), view.problemCode(),
          view.headers().get("retry-after")));
      if (view.status() == 200) {
        String state = view.json().getString("state");
        if (FUNDED_OR_LATER.contains(state)) {
          furthestSeen.merge(orderId, state, PrimaryFailoverTest::further);
        }
        if ("ready".equals(state)) {
          return;
        }
      }
      Thread.sleep(WATCH_POLL_MS);
    }
  }

  /** Wraps a send so its timing and status are recorded among the writes. */
  private static Supplier<TestGateway.Response> timed(String what, List<Write> writes,
      Supplier<TestGateway.Response> send) {
    return () -> {
      long sent = System.nanoTime();
      TestGateway.Response response = send.get();
      writes.add(new Write(what, sent, System.nanoTime(), response.status()));
      return response;
    };
  }

  /**
   * The operator tops the shop's deposit up by one minor unit every {@link #TOP_UP_INTERVAL_MS}, each top-up sent
   * again under its Idempotency-Key until it is answered 200 — without waiting the Retry-After, so the first write
   * the gateway acknowledges on the new primary is seen within that interval.
   */
  private static void topUps(TestGateway gw, String merchantId, AtomicBoolean running,
      List<DatabaseRestartTest.Answer> answers, List<Write> writes, AtomicLong acknowledged)
      throws InterruptedException {
    String path = "/admin/v1/merchants/" + merchantId + "/deposit/top-ups";
    String body = new JsonObject().put("amount", 1).put("currency", "CNY").encode();
    while (running.get()) {
      String key = UUID.randomUUID().toString();
      while (true) {
        long sent = System.nanoTime();
        TestGateway.Response response;
        try {
          response = gw.post(path, gw.adminToken(), body, "Idempotency-Key", key);
        } catch (IllegalStateException e) {
          answers.add(new DatabaseRestartTest.Answer("top-up", -1, e.getMessage(), null));
          return;
        }
        writes.add(new Write("top-up", sent, System.nanoTime(), response.status()));
        answers.add(new DatabaseRestartTest.Answer("top-up", response.status(), response.problemCode(),
            response.headers().get("retry-after")));
        if (response.status() == 200) {
          acknowledged.incrementAndGet();
          break;
        }
        if (!running.get()) {
          return;
        }
        Thread.sleep(TOP_UP_INTERVAL_MS);
      }
      Thread.sleep(TOP_UP_INTERVAL_MS);
    }
  }

  /** When {@code node} first answered that it takes writes (System.nanoTime), asked every few milliseconds. */
  private static long awaitPromotion(AutoFailoverCluster cluster, int node) {
    long giveUp = System.nanoTime() + AutoFailoverCluster.FAILOVER_TIMEOUT.toNanos();
    while (System.nanoTime() < giveUp) {
      try (Connection connection = AutoFailoverCluster.connect(cluster.node(node));
           Statement statement = connection.createStatement()) {
        while (System.nanoTime() < giveUp) {
          try (ResultSet rows = statement.executeQuery("SELECT pg_is_in_recovery()")) {
            if (rows.next() && !rows.getBoolean(1)) {
              return System.nanoTime();
            }
          }
          Thread.sleep(PROMOTION_POLL_MS);
        }
      } catch (SQLException e) {
        // The node restarts or refuses for a moment: ask again.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      }
      try {
        Thread.sleep(PROMOTION_POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      }
    }
    return 0;
  }

  /**
   * What the gateway acknowledged and the new primary does not hold, read on that node itself (not through the
   * gateway): one line per write lost.
   */
  private static List<String> lostOnNewPrimary(io.keyhold.gateway.store.DatabaseLocation node, String merchantId,
      Set<String> ordersPlaced, Set<String> paymentsStarted, Set<String> paymentsTaken,
      Map<String, String> furthestSeen, long topUpsAcknowledged) throws SQLException {
    List<String> lost = new ArrayList<>();
    try (Connection db = AutoFailoverCluster.connect(node)) {
      Map<String, String> orderStates = column(db, "SELECT id, state FROM orders WHERE id = ANY (?)", ordersPlaced);
      ordersPlaced.stream().filter(id -> !orderStates.containsKey(id))
          .forEach(id -> lost.add("order " + id + " placed (201) is missing"));
      Map<String, String> payments = column(db, "SELECT id, state FROM sandbox_payments WHERE id = ANY (?)",
          paymentsStarted);
      paymentsStarted.stream().filter(id -> !payments.containsKey(id))
          .forEach(id -> lost.add("payment " + id + " started (201) is missing"));
      paymentsTaken.stream().filter(id -> !"paid".equals(payments.get(id)))
          .forEach(id -> lost.add("payment " + id + " taken (200) is " + payments.get(id)));
      Map<String, String> fundedBy = column(db, "SELECT order_id, provider_txn_id FROM payments"
          + " WHERE use = 'funded' AND order_id = ANY (?)", furthestSeen.keySet());
      Map<String, String> validUnits = column(db, "SELECT u.order_id, u.state FROM order_units u JOIN delivered_keys k"
          + " ON k.merchant_id = u.merchant_id AND k.order_id = u.order_id AND k.unit_index = u.unit_index"
          + " AND k.key_ref = u.key_ref WHERE u.order_id = ANY (?)", furthestSeen.keySet());
      furthestSeen.forEach((id, seen) -> {
        String now = orderStates.get(id);
        if (now == null || !FUNDED_OR_LATER.contains(now) || !fundedBy.containsKey(id)) {
          lost.add("order " + id + " shown " + seen + " is " + now + (fundedBy.containsKey(id) ? "" : ", unfunded"));
        } else if ("ready".equals(seen) && !("ready".equals(now) && "valid".equals(validUnits.get(id)))) {
          lost.add("order " + id + " shown ready with its key is " + now + ", unit " + validUnits.get(id));
        }
      });
      try (PreparedStatement balance = db.prepareStatement(
          "SELECT coalesce(sum(balance_minor), 0) FROM merchant_deposits WHERE merchant_id = ?")) {
        balance.setString(1, merchantId);
        try (ResultSet rows = balance.executeQuery()) {
          rows.next();
          long held = rows.getLong(1);
          if (held < topUpsAcknowledged) {
            lost.add((topUpsAcknowledged - held) + " deposit top-ups acknowledged (200) are missing");
          }
        }
      }
    }
    return lost;
  }

  private static Map<String, String> column(Connection db, String sql, Set<String> ids) throws SQLException {
    Map<String, String> values = new ConcurrentHashMap<>();
    try (PreparedStatement statement = db.prepareStatement(sql)) {
      statement.setArray(1, db.createArrayOf("text", ids.toArray()));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          values.put(rows.getString(1), rows.getString(2));
        }
      }
    }
    return values;
  }

  private static String further(String one, String other) {
    List<String> order = List.of("funded", "validating", "ready");
    return order.indexOf(one) >= order.indexOf(other) ? one : other;
  }
}
