package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.store.DatabaseOutage;
import io.keyhold.gateway.testing.RestartablePostgres;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The database stops and starts again, several times, while buyers check out and pay over real HTTP: a
 * database outage is answered 503 with {@code Retry-After} (never 500), a payment is never refused while it
 * was taken, the gateway serves again by itself soon after each restart, and the money audit passes.
 *
 * <p>Its own embedded PostgreSQL ({@link RestartablePostgres}), not the one other tests share. Seeded: the
 * seed is printed and read back from {@value #SEED_PROPERTY}.
 */
class DatabaseRestartTest {
  static final String SEED_PROPERTY = "keyhold.restartSeed";
  static final int OUTAGES = 3;
  static final int CLIENTS = 4;
  /** How long the database is up between outages, and down in each, at least (plus up to a second, seeded). */
  static final long UP_MS = 2_500;
  static final long DOWN_MS = 2_500;
  /** The gateway must serve again this soon after the database is back. */
  static final Duration SERVING_AGAIN_MAX = Duration.ofSeconds(10);
  /** A client retries one step this long at most, honouring each Retry-After, before it gives up. */
  static final Duration STEP_RETRIES_MAX = Duration.ofSeconds(40);
  /**
   * Longer than the outbox lease (60 s): a row whose fate an outage hid is run again at once in every case the
   * gateway can see (its claim's answer lost, its outcome not recorded), and by its lease in any other.
   */
  static final Duration ORDERS_FUNDED_MAX = Duration.ofSeconds(75);
  /** Each buyer's pause between purchases: the shop's stock lasts the whole run on a fast machine too. */
  static final long PURCHASE_PAUSE_MS = 40;
  static final int STOCK_KEYS = 600;
  static final Set<String> OUTAGE_CODES = Set.of("database_unavailable", "overloaded");

  /** One answer a client got: the step, its status, its problem code and Retry-After, if any. */
  record Answer(String step, int status, String code, String retryAfter) {}

  /** One buyer's purchase: its checkout key, its order, its payment, and how the confirmation ended. */
  record Bought(String key, String orderId, String paymentId, int confirmStatus) {}

  @Test
  void answersNo500AndTakesNoRefusedPaymentAcrossDatabaseRestarts() throws Exception {
    long seed = Long.getLong(SEED_PROPERTY, System.nanoTime());
    System.out.println("DatabaseRestartTest seed " + seed + " (-D" + SEED_PROPERTY + "=" + seed + " replays it)");
    Random random = new Random(seed);
    try (RestartablePostgres postgres = RestartablePostgres.start();
         TestGateway gw = TestGateway.startOn(postgres.location(), config -> config
             .engine(Flows.fastEngine().build()).requestTimeoutMs(10_000))) {
      Purchases purchases = new Purchases(gw);
      Purchases.Shop shop = purchases.stockShop(STOCK_KEYS, null);
      List<Answer> answers = new CopyOnWriteArrayList<>();
      List<Bought> bought = new CopyOnWriteArrayList<>();
      List<String> gaveUp = new CopyOnWriteArrayList<>();
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
      List<Future<?>> buyers = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        buyers.add(clients.submit(() -> {
          while (running.get()) {
            buyOne(gw, shop, answers, bought, gaveUp);
            Thread.sleep(PURCHASE_PAUSE_MS);
          }
          return null;
        }));
      }

      List<Long> servingAgainMs = new ArrayList<>();
      for (int outage = 1; outage <= OUTAGES; outage++) {
        Thread.sleep(UP_MS + random.nextInt(1_000));
        postgres.stop();
        Thread.sleep(DOWN_MS + random.nextInt(1_000));
        postgres.startAgain();
        long back = System.nanoTime();
        awaitReady(gw);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
        servingAgainMs.add(ms);
        System.out.println("DatabaseRestartTest outage " + outage + ": serving again " + ms + " ms after the restart");
      }
      Thread.sleep(UP_MS);
      running.set(false);
      for (Future<?> buyer : buyers) {
        buyer.get(STEP_RETRIES_MAX.toSeconds() * 3, TimeUnit.SECONDS);
      }
      clients.shutdown();

      Map<String, Long> statuses = answers.stream().collect(Collectors.groupingBy(
          answer -> answer.step() + " " + answer.status() + (answer.code() == null ? "" : " " + answer.code()),
          Collectors.counting()));
      System.out.println("DatabaseRestartTest answers: " + statuses + "; purchases " + bought.size()
          + "; requests answered database_unavailable: "
          + gw.gateway().meterRegistry().counter(DatabaseOutage.METRIC).count());

      assertThat(answers).as("no 500, no request left unanswered: %s", statuses)
          .noneMatch(answer -> answer.status() >= 500 && answer.status() != 503 || answer.status() < 0);
      assertThat(answers.stream().filter(answer -> answer.status() == 503))
          .as("every 503 says why and when to come back: %s", statuses)
          .isNotEmpty()
          .allSatisfy(answer -> {
            assertThat(answer.code()).isIn(OUTAGE_CODES);
            assertThat(answer.retryAfter()).isNotNull();
            assertThat(Integer.parseInt(answer.retryAfter())).isBetween(1, DatabaseOutage.RETRY_AFTER_SECONDS_MAX);
          });
      assertThat(servingAgainMs).allSatisfy(ms -> assertThat(ms).isLessThan(SERVING_AGAIN_MAX.toMillis()));
      assertThat(gaveUp).as("steps given up after %s of retries", STEP_RETRIES_MAX).isEmpty();

      // Every payment the provider took was answered as taken; none answered with an error shows as paid.
      Map<String, String> paymentStates = new ConcurrentHashMap<>();
      for (Row row : gw.query("SELECT id, state FROM sandbox_payments")) {
        paymentStates.put(row.getString("id"), row.getString("state"));
      }
      for (Bought one : bought) {
        if (one.confirmStatus() == 200) {
          assertThat(paymentStates.get(one.paymentId())).as("payment %s", one.paymentId()).isEqualTo("paid");
        } else {
          assertThat(paymentStates.get(one.paymentId())).as("payment %s refused with %d", one.paymentId(),
              one.confirmStatus()).isNotEqualTo("paid");
        }
      }
      Set<String> answeredPaid = bought.stream().filter(one -> one.confirmStatus() == 200).map(Bought::paymentId)
          .collect(Collectors.toSet());
      assertThat(paymentStates.entrySet().stream().filter(entry -> entry.getValue().equals("paid"))
          .map(Map.Entry::getKey)).as("every payment taken was answered 200").allMatch(answeredPaid::contains);

      // One order per checkout key: retries answered the same session, never a second order.
      Set<String> orders = new HashSet<>();
      for (Row row : gw.query("SELECT id FROM orders")) {
        orders.add(row.getString("id"));
      }
      assertThat(orders).containsExactlyInAnyOrderElementsOf(
          bought.stream().map(Bought::orderId).collect(Collectors.toSet()));
      assertThat(bought.stream().map(Bought::key).distinct().count()).isEqualTo(bought.size());

      // The engine reconnected too: every paid order is funded by its notices, and the money adds up.
      Flows.awaitPaidOrdersFunded(gw, ORDERS_FUNDED_MAX);
      // The outages were the gateway's side: no deadline may have judged a shop or a buyer for them.
      assertThat(gw.query("SELECT count(*) FROM refunds").get(0).getLong(0)).as("payments refunded").isZero();
      assertThat(gw.query("SELECT count(*) FROM evidence_events WHERE type IN ('unit.replacement_requested',"
          + " 'unit.validation_timed_out', 'order.expired')").get(0).getLong(0)).as("deadlines fired").isZero();
      assertThat(gw.query("SELECT count(*) FROM stock_keys s WHERE s.state = 'delivered' AND NOT EXISTS ("
          + "SELECT 1 FROM key_fingerprints f JOIN orders o ON o.id = f.order_id"
          + " WHERE f.fingerprint = s.fingerprint AND o.state NOT IN ('refunded', 'expired'))").get(0).getLong(0))
          .as("keys delivered to no live order").isZero();
      JsonObject audit = gw.get("/admin/v1/audit", gw.adminToken()).json();
      assertThat(audit.getBoolean("ok")).as(audit.encodePrettily()).isTrue();
    }
  }

  /** One buyer: a checkout (with an Idempotency-Key), a sandbox payment started and confirmed. */
  private static void buyOne(TestGateway gw, Purchases.Shop shop, List<Answer> answers, List<Bought> bought,
      List<String> gaveUp) {
    String key = UUID.randomUUID().toString();
    String checkoutBody = new JsonObject().put("sku_id", shop.skuId()).put("quantity", 1).encode();
    TestGateway.Response session = retried("checkout", answers, gaveUp, () -> gw.post("/v1/checkout-sessions",
        shop.merchant().apiKey(), checkoutBody, "Idempotency-Key", key));
    if (session == null || session.status() != 201) {
      return;
    }
    String orderId = session.json().getString("order_id");
    String orderUrl = session.json().getString("order_url");
    String token = orderUrl.substring(orderUrl.indexOf("t=") + 2);
    String startBody = new JsonObject().put("order_id", orderId).put("order_token", token)
        .put("amount", new JsonObject().put("amount", 1000).put("currency", "CNY")).encode();
    TestGateway.Response payment = retried("pay", answers, gaveUp,
        () -> gw.post("/v1/sandbox/payments", null, startBody));
    if (payment == null || payment.status() != 201) {
      bought.add(new Bought(key, orderId, null, -1));
      return;
    }
    String paymentId = payment.json().getString("payment_id");
    TestGateway.Response confirmed = retried("confirm", answers, gaveUp,
        () -> gw.post("/v1/sandbox/payments/" + paymentId + "/confirm", null, "{}"));
    bought.add(new Bought(key, orderId, paymentId, confirmed == null ? -1 : confirmed.status()));
  }

  /**
   * Sends a request until it is answered something else than a 503 or "still in progress", waiting each
   * Retry-After; gives up (null) after {@link #STEP_RETRIES_MAX}. Records every answer.
   */
  static TestGateway.Response retried(String step, List<Answer> answers, List<String> gaveUp,
      Supplier<TestGateway.Response> send) {
    long deadline = System.nanoTime() + STEP_RETRIES_MAX.toNanos();
    while (true) {
      TestGateway.Response response;
      try {
        response = send.get();
      } catch (IllegalStateException e) {
        answers.add(new Answer(step, -1, e.getMessage(), null));
        return null;
      }
      String retryAfter = response.headers().get("retry-after");
      answers.add(new Answer(step, response.status(), response.problemCode(), retryAfter));
      boolean again = response.status() == 503 || "idempotency_request_in_progress".equals(response.problemCode());
      if (!again) {
        return response;
      }
      if (System.nanoTime() > deadline) {
        gaveUp.add(step + " " + response);
        return null;
      }
      long waitSeconds = retryAfter == null ? 1 : Long.parseLong(retryAfter);
      try {
        Thread.sleep(TimeUnit.SECONDS.toMillis(waitSeconds));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  private static void awaitReady(TestGateway gw) throws InterruptedException {
    long deadline = System.nanoTime() + SERVING_AGAIN_MAX.toNanos() * 2;
    while (System.nanoTime() < deadline) {
      TestGateway.Response ready = gw.get("/health/ready", null);
      if (ready.status() == 200) {
        return;
      }
      assertThat(ready.headers()).as("a readiness 503 says when to come back: %s", ready).containsKey("retry-after");
      Thread.sleep(50);
    }
  }
}
