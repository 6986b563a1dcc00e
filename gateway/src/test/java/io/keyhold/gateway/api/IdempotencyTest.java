package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway.Merchant;
import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IdempotencyTest {
  private static final int CONCURRENT_DUPLICATES = 12;
  private static TestGateway gw;
  private static Merchant merchant;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    merchant = gw.createMerchant("Retry Shop");
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  private static String sku(String name) {
    return new JsonObject().put("name", name).put("price", 700).put("currency", "CNY").encode();
  }

  @Test
  void sameKeyAndBodyReplaysTheFirstAnswerAndCreatesOnce() {
    long before = gw.rowCounts().get("skus");

    Response first = gw.post("/v1/skus", merchant.apiKey(), sku("Replay"), "Idempotency-Key", "replay-1");
    Response second = gw.post("/v1/skus", merchant.apiKey(), sku("Replay"), "Idempotency-Key", "replay-1");

    assertThat(first.status()).isEqualTo(201);
    assertThat(second.status()).isEqualTo(201);
    assertThat(second.body()).isEqualTo(first.body());
    assertThat(second.headers().get("location")).isEqualTo(first.headers().get("location"));
    assertThat(second.headers().get("idempotent-replayed")).isEqualTo("true");
    assertThat(first.headers()).doesNotContainKey("idempotent-replayed");
    assertThat(gw.rowCounts().get("skus")).isEqualTo(before + 1);
  }

  @Test
  void answersTheSoldOutCrowdWithoutStoringTheirKeysAndStillReplaysAnAnsweredKey() {
    String skuId = gw.createSku(merchant);
    assertThat(gw.uploadKeys(merchant, skuId, List.of("LAST-" + UUID.randomUUID())).status()).isEqualTo(201);
    String checkout = new JsonObject().put("sku_id", skuId).put("quantity", 1).encode();
    Response sold = gw.post("/v1/checkout-sessions", merchant.apiKey(), checkout, "Idempotency-Key", "sold-first");

    // The first refusal finds the stock short and teaches this instance; the next one is answered from that.
    Response late = gw.post("/v1/checkout-sessions", merchant.apiKey(), checkout, "Idempotency-Key", "sold-late");
    Response crowd = gw.post("/v1/checkout-sessions", merchant.apiKey(), checkout, "Idempotency-Key", "sold-crowd");
    Response again = gw.post("/v1/checkout-sessions", merchant.apiKey(), checkout, "Idempotency-Key", "sold-first");

    assertThat(sold.status()).isEqualTo(201);
    assertThat(late.status()).isEqualTo(409);
    assertThat(crowd.status()).isEqualTo(409);
    assertThat(crowd.problemCode()).isEqualTo("out_of_stock");
    assertThat(crowd.json().getString("detail")).isEqualTo(late.json().getString("detail"));
    assertThat(gw.query("SELECT count(*) FROM idempotency_records WHERE idempotency_key = 'sold-crowd'").get(0)
        .getLong(0)).as("the crowd's refusal changed nothing and is not stored").isZero();
    assertThat(again.status()).as("an answered key replays its answer, sold out or not").isEqualTo(201);
    assertThat(again.headers().get("idempotent-replayed")).isEqualTo("true");
    assertThat(again.body()).isEqualTo(sold.body());
  }

  @Test
  void sameKeyWithAnotherBodyIs422AndCreatesNothing() {
    gw.post("/v1/skus", merchant.apiKey(), sku("Original"), "Idempotency-Key", "reused-1");
    long before = gw.rowCounts().get("skus");

    Response reused = gw.post("/v1/skus", merchant.apiKey(), sku("Different"), "Idempotency-Key", "reused-1");

    assertThat(reused.status()).isEqualTo(422);
    assertThat(reused.problemCode()).isEqualTo("idempotency_key_reused");
    assertThat(gw.rowCounts().get("skus")).isEqualTo(before);
  }

  @Test
  void keysAreScopedByCaller() {
    Merchant other = gw.createMerchant("Other Retry Shop");

    Response mine = gw.post("/v1/skus", merchant.apiKey(), sku("Mine"), "Idempotency-Key", "shared-key");
    Response theirs = gw.post("/v1/skus", other.apiKey(), sku("Theirs"), "Idempotency-Key", "shared-key");

    assertThat(mine.status()).isEqualTo(201);
    assertThat(theirs.status()).isEqualTo(201);
    assertThat(theirs.json().getString("id")).isNotEqualTo(mine.json().getString("id"));
  }

  @Test
  void aProblemAnswerIsReplayedToo() {
    String skuId = gw.createSku(merchant);
    gw.uploadKeys(merchant, skuId, List.of("IDEM-DUP-0001"));
    String body = new JsonObject().put("keys", List.of("IDEM-DUP-0001")).encode();

    Response first = gw.post("/v1/skus/" + skuId + "/stock", merchant.apiKey(), body, "Idempotency-Key", "dup-1");
    Response again = gw.post("/v1/skus/" + skuId + "/stock", merchant.apiKey(), body, "Idempotency-Key", "dup-1");

    assertThat(first.problemCode()).isEqualTo("duplicate_key");
    assertThat(again.problemCode()).isEqualTo("duplicate_key");
    assertThat(again.headers().get("idempotent-replayed")).isEqualTo("true");
  }

  @Test
  void concurrentDuplicatesCreateOnceAndOthersReplayOrWait() throws Exception {
    long before = gw.rowCounts().get("skus");
    ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_DUPLICATES);
    try {
      List<Callable<Response>> calls = new ArrayList<>();
      for (int i = 0; i < CONCURRENT_DUPLICATES; i++) {
        calls.add(() -> gw.post("/v1/skus", merchant.apiKey(), sku("Race"), "Idempotency-Key", "race-1"));
      }
      List<Response> responses = new ArrayList<>();
      for (Future<Response> future : pool.invokeAll(calls)) {
        responses.add(future.get());
      }

      List<Response> created = responses.stream().filter(r -> r.status() == 201).toList();
      assertThat(created).isNotEmpty();
      assertThat(created.stream().map(Response::body).distinct()).hasSize(1);
      assertThat(responses).allSatisfy(r -> {
        if (r.status() != 201) {
          assertThat(r.status()).isEqualTo(409);
          assertThat(r.problemCode()).isEqualTo("idempotency_request_in_progress");
          assertThat(r.headers().get("retry-after")).isEqualTo("1");
        }
      });
      assertThat(gw.rowCounts().get("skus")).isEqualTo(before + 1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentDuplicateCheckoutsPlaceOneOrderHoldOneKeyAndAllGetItsAnswer() throws Exception {
    String skuId = gw.createSku(merchant);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < CONCURRENT_DUPLICATES; i++) {
      keys.add("DUP-CHECKOUT-" + UUID.randomUUID());
    }
    assertThat(gw.uploadKeys(merchant, skuId, keys).status()).isEqualTo(201);
    String checkout = new JsonObject().put("sku_id", skuId).put("quantity", 1).encode();
    ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_DUPLICATES);
    try {
      List<Callable<Response>> calls = new ArrayList<>();
      for (int i = 0; i < CONCURRENT_DUPLICATES; i++) {
        calls.add(() -> gw.post("/v1/checkout-sessions", merchant.apiKey(), checkout, "Idempotency-Key", "race-co"));
      }
      List<Response> responses = new ArrayList<>();
      for (Future<Response> future : pool.invokeAll(calls)) {
        responses.add(future.get());
      }

      // A checkout stores its key with its order: a duplicate at once places its own, meets the first's key, rolls
      // back (giving its reserved key back) and replays the first answer; none waits for the first to finish.
      assertThat(responses).extracting(Response::status).containsOnly(201);
      assertThat(responses.stream().map(Response::body).distinct()).hasSize(1);
      assertThat(responses.stream().filter(r -> r.headers().get("idempotent-replayed") == null)).hasSize(1);
      assertThat(gw.query("SELECT count(*) FROM orders WHERE sku_id = $1", skuId).get(0).getLong(0)).isEqualTo(1);
      assertThat(gw.query("SELECT count(*) FROM idempotency_records WHERE idempotency_key = 'race-co'"
          + " AND state = 'done'").get(0).getLong(0)).isEqualTo(1);
      long giveUp = System.nanoTime() + TestGateway.AWAIT_TIMEOUT.toNanos();
      while (reserved(skuId) > 1 && System.nanoTime() < giveUp) {
        Thread.sleep(20);
      }
      assertThat(reserved(skuId)).as("keys held: the one order's only").isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  private static long reserved(String skuId) {
    return gw.query("SELECT count(*) FROM stock_keys WHERE sku_id = $1 AND state = 'reserved'", skuId).get(0)
        .getLong(0);
  }

  @Test
  void aMalformedKeyIsRefused() {
    Response response = gw.post("/v1/skus", merchant.apiKey(), sku("Bad key"), "Idempotency-Key", "has space");

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.problemCode()).isEqualTo("idempotency_key_invalid");
  }

  @Test
  void theStoredAnswerIsSealed() {
    Response created = gw.post("/admin/v1/merchants", gw.adminToken(),
        new JsonObject().put("name", "Sealed").put("fee_basis_points", 0).encode(), "Idempotency-Key", "sealed-1");
    String apiKey = created.json().getString("api_key");

    String stored = gw.query("SELECT string_agg(t::text, ' ') FROM idempotency_records t").get(0).getString(0);

    assertThat(stored).doesNotContain(apiKey).doesNotContain("Sealed");
  }

  @Test
  void anAnswersGateStoresItOnceAndAnswersARowOnlyForTheRequestHoldingTheKey() {
    Idempotency records = gw.gateway().idempotency();
    byte[] hash = postHash("/v1/checkout-sessions");
    Reply reply = Reply.ok(new JsonObject().put("id", "cs_gate"));
    Idempotency.Claim first = unclaimed("gate-1", hash);
    Idempotency.Claim second = unclaimed("gate-1", hash);
    Idempotency.Claim claimed = TestGateway.await(records.begin(Caller.merchant(merchant.id()), "gate-2", hash))
        .claim();

    assertThat(passes(records.gate(first, reply))).as("the first answer under a new key").isTrue();
    assertThat(first.completed()).isTrue();
    assertThat(passes(records.gate(second, reply))).as("another request meeting the stored answer").isFalse();
    assertThat(records.gate(second, reply).shut().get()).isInstanceOf(Idempotency.KeyTaken.class);
    assertThat(second.completed()).isFalse();
    assertThat(passes(records.gate(claimed, reply))).as("the answer of the claim's holder").isTrue();
    assertThat(gw.query("SELECT state FROM idempotency_records WHERE idempotency_key = $1", "gate-2").get(0)
        .getString(0)).isEqualTo("done");
    assertThat(passes(records.gate(claimed, reply))).as("a claim answered already").isFalse();
  }

  @Test
  void aChangesGateClaimsTheKeyLetsItsOwnRetryThroughAndShutsEveryOtherRequest() {
    Idempotency records = gw.gateway().idempotency();
    byte[] hash = postHash("/v1/buyer/orders/o/reveal");
    Idempotency.Claim first = unclaimed("change-1", hash);
    Idempotency.Claim second = unclaimed("change-1", hash);
    io.keyhold.gateway.store.OrderStore.Gate gate = records.changeGate(first);
    String state = "SELECT state FROM idempotency_records WHERE idempotency_key = 'change-1'";

    assertThat(passes(gate)).as("a new key").isTrue();
    assertThat(gw.query(state).get(0).getString(0)).isEqualTo("in_progress");
    assertThat(passes(gate)).as("the same request's retry after a version conflict").isTrue();
    assertThat(passes(records.changeGate(second))).as("another request while the first runs").isFalse();
    assertThat(records.changeGate(second).shut().get()).isInstanceOf(Idempotency.KeyTaken.class);

    // Held as a claim: the answer completes it, and the key is then answered, no longer let through.
    TestGateway.await(records.complete(records.pool(), first, Reply.ok(new JsonObject().put("state", "inspection"))));
    assertThat(first.completed()).isTrue();
    assertThat(gw.query(state).get(0).getString(0)).isEqualTo("done");
    assertThat(passes(gate)).as("a key answered already").isFalse();
  }

  @Test
  void answersCompletedTogetherEachStoreTheirOwnAndALostClaimFailsAlone() {
    Idempotency records = gw.gateway().idempotency();
    Caller caller = Caller.merchant(merchant.id());
    byte[] hash = postHash("/v1/sandbox/payments");
    List<Idempotency.Claim> claims = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      claims.add(TestGateway.await(records.begin(caller, "together-" + i, hash)).claim());
    }
    // Another request took the third key over (its lease ran out meanwhile).
    gw.query("UPDATE idempotency_records SET claim_token = 'another' WHERE idempotency_key = 'together-2'");

    // Asked in one turn of one event loop: the answers go in one statement (KeyedBatches).
    io.vertx.core.Promise<List<io.vertx.core.Future<Void>>> asked = io.vertx.core.Promise.promise();
    gw.gateway().vertx().getOrCreateContext().runOnContext(v -> {
      List<io.vertx.core.Future<Void>> completions = new ArrayList<>();
      for (int i = 0; i < claims.size(); i++) {
        completions.add(records.complete(records.pool(), claims.get(i),
            Reply.ok(new JsonObject().put("answer", i))));
      }
      io.vertx.core.Future.join(completions).onComplete(all -> asked.complete(completions));
    });
    List<io.vertx.core.Future<Void>> completions = TestGateway.await(asked.future());

    for (int i = 0; i < claims.size(); i++) {
      if (i == 2) {
        assertThat(completions.get(i).cause()).hasMessageContaining("claim lost");
        assertThat(claims.get(i).completed()).isFalse();
        continue;
      }
      assertThat(completions.get(i).succeeded()).isTrue();
      assertThat(claims.get(i).completed()).isTrue();
      Reply replay = TestGateway.await(records.begin(caller, "together-" + i, hash)).replay();
      assertThat(replay.body().toJsonObject().getInteger("answer")).as("the answer of key " + i).isEqualTo(i);
    }
    assertThat(gw.query("SELECT state, claim_token FROM idempotency_records WHERE idempotency_key = 'together-2'")
        .get(0).getString(1)).as("the lost claim's row, left to its holder").isEqualTo("another");
  }

  @Test
  void concurrentDuplicateRevealsChangeTheOrderOnceAndAllGetItsAnswerOrWait() throws Exception {
    Purchases purchases = new Purchases(gw);
    Purchases.Purchase purchase = purchases.readyOrder(purchases.stockShop(1, null), 1);
    ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_DUPLICATES);
    try {
      List<Callable<Response>> calls = new ArrayList<>();
      for (int i = 0; i < CONCURRENT_DUPLICATES; i++) {
        calls.add(() -> gw.post(purchase.path("/reveal"), purchase.token(), "{}", "Idempotency-Key", "race-reveal"));
      }
      List<Response> responses = new ArrayList<>();
      for (Future<Response> future : pool.invokeAll(calls)) {
        responses.add(future.get());
      }

      List<Response> answered = responses.stream().filter(r -> r.status() == 200).toList();
      assertThat(answered).isNotEmpty();
      assertThat(answered.stream().map(Response::body).distinct()).as("one answer, replayed").hasSize(1);
      assertThat(answered.get(0).json().getString("state")).isEqualTo("inspection");
      assertThat(responses).allSatisfy(r -> {
        if (r.status() != 200) {
          assertThat(r.problemCode()).isEqualTo("idempotency_request_in_progress");
        }
      });
      assertThat(gw.query("SELECT count(*) FROM evidence_events WHERE order_id = $1 AND type = 'order.revealed'",
          purchase.orderId()).get(0).getLong(0)).as("revealed once").isEqualTo(1);
      Response replayed = gw.post(purchase.path("/reveal"), purchase.token(), "{}", "Idempotency-Key", "race-reveal");
      assertThat(replayed.body()).isEqualTo(answered.get(0).body());
      assertThat(replayed.headers().get("idempotent-replayed")).isEqualTo("true");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aBuyerActsRefusalIsStoredUnderItsKeyAndReplayedAfterTheOrderMoved() {
    Purchases purchases = new Purchases(gw);
    Purchases.Purchase purchase = purchases.readyOrder(purchases.stockShop(1, null), 1);

    Response early = gw.post(purchase.path("/confirm"), purchase.token(), "{}", "Idempotency-Key", "confirm-early");
    assertThat(early.problemCode()).isEqualTo("not_revealed");
    assertThat(purchases.act(purchase, "reveal").status()).isEqualTo(200);
    Response again = gw.post(purchase.path("/confirm"), purchase.token(), "{}", "Idempotency-Key", "confirm-early");
    Response fresh = gw.post(purchase.path("/confirm"), purchase.token(), "{}", "Idempotency-Key", "confirm-now");

    // Same key, same answer, though the order now allows the act; a new key confirms.
    assertThat(again.problemCode()).isEqualTo("not_revealed");
    assertThat(again.headers().get("idempotent-replayed")).isEqualTo("true");
    assertThat(fresh.status()).isEqualTo(200);
    assertThat(fresh.json().getString("state")).isEqualTo("released");
  }

  @Test
  void aBuyerActWhoseKeyWentTheClaimingWayStillStoresItsChange() {
    Purchases purchases = new Purchases(gw);
    Purchases.Purchase purchase = purchases.readyOrder(purchases.stockShop(1, null), 1);
    assertThat(gw.post(purchase.path("/reveal"), purchase.token(), "{}", "Idempotency-Key", "expired-1").status())
        .isEqualTo(200);
    // The reveal's record outlived its retention: the key is free again, but only the claiming way takes it over.
    gw.query("UPDATE idempotency_records SET expires_at = now() - interval '1 minute'"
        + " WHERE idempotency_key = 'expired-1'");

    Response confirmed = gw.post(purchase.path("/confirm"), purchase.token(), "{}", "Idempotency-Key", "expired-1");

    assertThat(confirmed.status()).isEqualTo(200);
    assertThat(confirmed.json().getString("state")).isEqualTo("released");
    assertThat(confirmed.headers()).doesNotContainKey("idempotent-replayed");
    assertThat(gw.query("SELECT state FROM idempotency_records WHERE idempotency_key = 'expired-1'").get(0)
        .getString(0)).isEqualTo("done");
  }

  /** The request hash of a POST to {@code path} with an empty JSON object. */
  private static byte[] postHash(String path) {
    return Idempotency.requestHash(io.vertx.core.http.HttpMethod.POST, path, io.vertx.core.buffer.Buffer.buffer("{}"));
  }

  /** The shop's hold on {@code key} for a request with {@code hash}, no claim stored. */
  private static Idempotency.Claim unclaimed(String key, byte[] hash) {
    return TestGateway.await(gw.gateway().idempotency().unclaimed(Caller.merchant(merchant.id()), key, hash));
  }

  /** Runs {@code gate} as the first part of a statement, as an order's insert does; true when it let the order on. */
  private static boolean passes(io.keyhold.gateway.store.OrderStore.Gate gate) {
    long rows = TestGateway.await(gw.gateway().database().pool()
        .preparedQuery("WITH gate AS (" + gate.sql().formatted(io.keyhold.gateway.store.OrderStore.placeholders(1,
            gate.args().size())) + ") SELECT count(*) FROM gate")
        .execute(io.vertx.sqlclient.Tuple.from(gate.args()))).iterator().next().getLong(0);
    if (rows == 1) {
      gate.passed().run();
    }
    return rows == 1;
  }

  @Test
  void releasesTheKeyOfAFailedRequestEvenWhenTheDatabaseIsBusyAtFirst() throws Exception {
    // A real pool of one connection and no queue: while the test holds the connection, every statement
    // through it fails at once with "pool too busy", as a crowd makes happen at peak.
    io.vertx.core.Vertx vertx = gw.gateway().vertx();
    io.vertx.sqlclient.Pool tiny = io.vertx.pgclient.PgBuilder.pool()
        .with(new io.vertx.sqlclient.PoolOptions().setMaxSize(1).setMaxWaitQueueSize(0))
        .connectingTo(gw.gateway().database().location().connectOptions()).using(vertx).build();
    try {
      Idempotency records = gw.gateway().idempotency().using(tiny);
      byte[] hash = Idempotency.requestHash(io.vertx.core.http.HttpMethod.POST, "/v1/skus",
          io.vertx.core.buffer.Buffer.buffer("{}"));
      Caller caller = Caller.merchant(merchant.id());
      Idempotency.Claim claim = TestGateway.await(records.begin(caller, "busy-release-1", hash)).claim();
      io.vertx.sqlclient.SqlConnection held = TestGateway.await(tiny.getConnection());
      // Released once the first try has failed and before the retries run out (100 + 400 ms of pauses).
      vertx.setTimer(300, timer -> held.close());

      // On an event loop, as in the gateway (the retries wait on its timers).
      io.vertx.core.Promise<Void> released = io.vertx.core.Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> records.release(claim).onComplete(released));
      TestGateway.await(released.future());

      assertThat(gw.query("SELECT count(*) FROM idempotency_records WHERE idempotency_key = $1", "busy-release-1")
          .get(0).getLong(0)).as("the key, released").isZero();
    } finally {
      TestGateway.await(tiny.close());
    }
  }
}
