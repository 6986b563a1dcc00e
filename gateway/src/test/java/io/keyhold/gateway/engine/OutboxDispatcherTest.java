package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.store.ClaimedEffect;
import io.keyhold.gateway.store.Instances;
import io.keyhold.gateway.store.StoredOrder;
import io.keyhold.gateway.testing.TestGateway;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The outbox dispatcher on its own, over the real table: rows of a test kind, a handler that counts its
 * runs. The gateway's own workers are off, so only the dispatcher under test claims rows.
 */
class OutboxDispatcherTest {
  static final String KIND = "test_effect";
  static final int ROWS = 300;

  static TestGateway gw;
  static Vertx vertx;
  static Pool pool;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(config -> config.engine(EngineConfig.builder().workers(false).build()));
    vertx = gw.gateway().vertx();
    pool = gw.gateway().pool();
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  private static String insertRows(int count) {
    String batch = UUID.randomUUID().toString();
    TestGateway.await(pool.preparedQuery("INSERT INTO outbox (kind, idempotency_key, payload, next_attempt_at,"
        + " created_at) SELECT $1, $2 || ':' || i, '{}'::jsonb, now(), now() FROM generate_series(1, $3) AS i")
        .execute(Tuple.of(KIND, batch, count)));
    return batch;
  }

  private static Map<String, Long> statesOf(String batch) {
    Map<String, Long> states = new ConcurrentHashMap<>();
    for (Row row : TestGateway.await(pool.preparedQuery("SELECT state, count(*) AS n, max(attempts) AS most"
        + " FROM outbox WHERE idempotency_key LIKE $1 || ':%' GROUP BY state").execute(Tuple.of(batch)))) {
      states.put(row.getString("state"), row.getLong("n"));
      states.merge("most_attempts", row.getLong("most").longValue(), Math::max);
    }
    return states;
  }

  @Test
  void marksEveryFinishedRowDoneOnceWhenItStops() throws Exception {
    String batch = insertRows(ROWS);
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    CountDownLatch allRan = new CountDownLatch(ROWS);
    OutboxDispatcher dispatcher = new OutboxDispatcher(vertx, pool, Clock.systemUTC(), EngineConfig.defaults(), Instances.newId(),
        Map.of(KIND, row -> {
          runs.computeIfAbsent(row.idempotencyKey(), key -> new AtomicInteger()).incrementAndGet();
          allRan.countDown();
          return Future.succeededFuture();
        }), new SimpleMeterRegistry());
    dispatcher.start();
    assertThat(allRan.await(TestGateway.AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    // At once, so the last rows' done marks are still waiting for their batch: stopping sends them.
    TestGateway.await(dispatcher.stop(5_000));

    assertThat(runs).hasSize(ROWS);
    assertThat(runs.values()).allSatisfy(count -> assertThat(count.get()).as("runs of one row").isEqualTo(1));
    Map<String, Long> states = statesOf(batch);
    assertThat(states.get("done")).as("rows marked done").isEqualTo(ROWS);
    assertThat(states).doesNotContainKey("pending");
    assertThat(states.get("most_attempts")).as("attempts of any row").isEqualTo(1L);
  }

  @Test
  void retriesAFailedRowAndStillMarksItsBatchMatesDone() throws Exception {
    String batch = insertRows(20);
    String failing = batch + ":7";
    OutboxDispatcher dispatcher = new OutboxDispatcher(vertx, pool, Clock.systemUTC(), EngineConfig.defaults(), Instances.newId(),
        Map.of(KIND, row -> row.idempotencyKey().equals(failing)
            ? Future.failedFuture(new IllegalStateException("the shop is down"))
            : Future.succeededFuture()), new SimpleMeterRegistry());
    dispatcher.start();
    long giveUp = System.nanoTime() + TestGateway.AWAIT_TIMEOUT.toNanos();
    while (statesOf(batch).getOrDefault("done", 0L) < 19 && System.nanoTime() < giveUp) {
      Thread.sleep(20);
    }
    TestGateway.await(dispatcher.stop(5_000));

    assertThat(statesOf(batch).get("done")).isEqualTo(19L);
    Row failed = TestGateway.await(pool.preparedQuery("SELECT state, last_error FROM outbox WHERE idempotency_key = $1")
        .execute(Tuple.of(failing))).iterator().next();
    assertThat(failed.getString("state")).isEqualTo("pending");
    assertThat(failed.getString("last_error")).contains("the shop is down");
  }

  @Test
  void runsRowsClaimedAsTheyWereWrittenEachOnceAsSlotsFree() throws Exception {
    int count = 40;
    String instance = Instances.newId();
    String batch = UUID.randomUUID().toString();
    // Leased to this instance as a change's rows are: no claim takes them, only runClaimed runs them.
    List<ClaimedEffect> claimed = insertClaimed(instance, batch, count);
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    AtomicInteger atOnce = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    CountDownLatch allRan = new CountDownLatch(count);
    OutboxDispatcher dispatcher = new OutboxDispatcher(vertx, pool, Clock.systemUTC(),
        EngineConfig.builder().outboxConcurrencyMax(2).build(), instance, Map.of(KIND, row -> {
          runs.computeIfAbsent(row.idempotencyKey(), key -> new AtomicInteger()).incrementAndGet();
          mostAtOnce.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
          return vertx.timer(5).map(fired -> {
            atOnce.decrementAndGet();
            allRan.countDown();
            return null;
          });
        }), new SimpleMeterRegistry());
    dispatcher.start();

    dispatcher.runClaimed(null, claimed);

    assertThat(allRan.await(TestGateway.AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    TestGateway.await(dispatcher.stop(5_000));
    assertThat(runs).hasSize(count);
    assertThat(runs.values()).allSatisfy(runsOfOne -> assertThat(runsOfOne.get()).isEqualTo(1));
    assertThat(mostAtOnce.get()).as("rows run at once, at most").isLessThanOrEqualTo(2);
    Map<String, Long> states = statesOf(batch);
    assertThat(states.get("done")).isEqualTo((long) count);
    assertThat(states.get("most_attempts")).as("the attempt counted as they were written, once").isEqualTo(1L);
  }

  /** Rows of this test's kind inserted claimed for {@code instance}, as a statement that queues them claims them. */
  private static List<ClaimedEffect> insertClaimed(String instance, String batch, int count) {
    List<ClaimedEffect> claimed = new ArrayList<>();
    for (Row row : TestGateway.await(pool.preparedQuery("INSERT INTO outbox (kind, idempotency_key, payload,"
        + " next_attempt_at, attempts, claimed_by, created_at) SELECT $1, $2 || ':' || i, '{}'::jsonb,"
        + " now() + interval '1 minute', 1, $3, now() FROM generate_series(1, $4) AS i RETURNING id, idempotency_key")
        .execute(Tuple.of(KIND, batch, instance, count)))) {
      claimed.add(new ClaimedEffect(row.getLong("id"), null, null, KIND, row.getString("idempotency_key"),
          new JsonObject()));
    }
    return claimed;
  }

  @Test
  void runsAnOrderChangesClaimedRowsBeforeOtherClaimedRowsWaitingForASlot() throws Exception {
    String instance = Instances.newId();
    List<ClaimedEffect> blocker = insertClaimed(instance, "blocker-" + UUID.randomUUID(), 1);
    String behind = "behind-" + UUID.randomUUID();
    String first = "first-" + UUID.randomUUID();
    List<ClaimedEffect> notices = insertClaimed(instance, behind, 3);
    List<ClaimedEffect> effects = insertClaimed(instance, first, 2);
    io.vertx.core.Promise<Void> unblock = io.vertx.core.Promise.promise();
    List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
    CountDownLatch allRan = new CountDownLatch(5);
    OutboxDispatcher dispatcher = new OutboxDispatcher(vertx, pool, Clock.systemUTC(),
        EngineConfig.builder().outboxConcurrencyMax(1).build(), instance, Map.of(KIND, row -> {
          if (row.id() == blocker.get(0).id()) {
            return unblock.future();
          }
          ran.add(row.idempotencyKey());
          allRan.countDown();
          return Future.succeededFuture();
        }), new SimpleMeterRegistry());
    dispatcher.start();

    dispatcher.runClaimed(null, blocker);
    dispatcher.runClaimedIn(1, notices);
    Thread.sleep(200);
    dispatcher.runClaimed(null, effects);
    Thread.sleep(100);
    vertx.runOnContext(v -> unblock.complete());

    assertThat(allRan.await(TestGateway.AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    TestGateway.await(dispatcher.stop(5_000));
    assertThat(ran).hasSize(5);
    assertThat(ran.subList(0, 2)).as("the order change's rows, queued last").allMatch(key -> key.startsWith(first));
    assertThat(ran.subList(2, 5)).allMatch(key -> key.startsWith(behind));
  }

  @Test
  void claimsTheRowsOfAHandlerThatReadsItsOrderWithThatOrder() throws Exception {
    TestGateway.Merchant shop = gw.createMerchant("Claim Reads Shop");
    String skuId = gw.createSku(shop);
    assertThat(gw.uploadKeys(shop, skuId, List.of("CLAIM-READS-KEY-1")).status()).isEqualTo(201);
    String orderId = gw.checkout(shop.apiKey(), skuId, 1).orderId();
    long version = TestGateway.await(pool.preparedQuery("SELECT version FROM orders WHERE id = $1")
        .execute(Tuple.of(orderId))).iterator().next().getLong("version");
    String batch = UUID.randomUUID().toString();
    String readingKind = "test_reads_order";
    TestGateway.await(pool.preparedQuery("INSERT INTO outbox (merchant_id, order_id, kind, idempotency_key, payload,"
        + " next_attempt_at, created_at) SELECT $1, $2, k, $3 || ':' || k, '{}'::jsonb, now(), now()"
        + " FROM unnest($4::text[]) AS k").execute(Tuple.of(shop.id(), orderId, batch, new String[] {KIND, readingKind})));
    Map<String, Optional<StoredOrder>> seen = new ConcurrentHashMap<>();
    CountDownLatch bothRan = new CountDownLatch(2);
    OutboxDispatcher.Handler seeing = row -> {
      if (row.idempotencyKey().startsWith(batch)) {
        seen.put(row.kind(), Optional.ofNullable(row.order()));
        bothRan.countDown();
      }
      return Future.succeededFuture();
    };
    OutboxDispatcher dispatcher = new OutboxDispatcher(vertx, pool, Clock.systemUTC(), EngineConfig.defaults(),
        Instances.newId(), Map.of(KIND, seeing, readingKind, OutboxDispatcher.Handler.readingOrder(seeing)),
        new SimpleMeterRegistry());
    dispatcher.start();
    assertThat(bothRan.await(TestGateway.AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    TestGateway.await(dispatcher.stop(5_000));

    assertThat(seen.get(readingKind)).hasValueSatisfying(order -> {
      assertThat(order.id()).isEqualTo(orderId);
      assertThat(order.merchantId()).isEqualTo(shop.id());
      assertThat(order.order().version()).isEqualTo(version);
    });
    assertThat(seen.get(KIND)).as("a handler that does not read its order gets none").isEmpty();
  }
}
