package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.escrow.Effect;
import io.keyhold.escrow.EffectKind;
import io.keyhold.escrow.EvidenceChain;
import io.keyhold.escrow.EvidenceEvent;
import io.keyhold.escrow.EvidenceType;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderDraft;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.Outcome;
import io.keyhold.escrow.Rejection;
import io.keyhold.escrow.ReleaseReason;
import io.keyhold.escrow.SkuPolicy;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The order store against real PostgreSQL: a transition is stored whole (row, units, postings,
 * evidence, outbox) or not at all, concurrent changes of one order are serialized by the version
 * check and retried, and what is read back is the order that was stored.
 */
class OrderStoreTest {
  static TestGateway gw;
  static OrderStore store;
  static TestGateway.Merchant merchant;
  static String skuId;

  @BeforeAll
  static void start() throws Exception {
    // Workers off: nothing but this test touches the orders.
    gw = TestGateway.start(config -> config.engine(io.keyhold.gateway.engine.EngineConfig.builder()
        .workers(false).build()));
    store = gw.gateway().orders();
    merchant = gw.createMerchant("Store test shop");
    skuId = gw.createSku(merchant);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  private static Order place() {
    return place(merchant, skuId);
  }

  private static Order place(TestGateway.Merchant merchant, String skuId) {
    Transition placed = placing(merchant, skuId);
    TestGateway.await(store.insert(store.pool(), placed, newRow(), null, List.of()));
    return placed.order();
  }

  private static Transition placing(TestGateway.Merchant merchant, String skuId) {
    return Order.place(new OrderDraft(Ids.newId("ord"), merchant.id(), skuId, 2, Money.of(1000, "CNY"),
        250, SkuPolicy.defaults()), store.now());
  }

  private static OrderStore.NewOrderRow newRow() {
    return new OrderStore.NewOrderRow(OrderTokens.hash(OrderTokens.newToken()), "buyer-1", "stock", null, null);
  }

  @Test
  void readsBackTheOrderThatWasPlaced() {
    Order placed = place();

    StoredOrder loaded = TestGateway.await(store.load(placed.id(), merchant.id()));

    assertThat(loaded.order()).isEqualTo(placed);
    assertThat(loaded.buyerRef()).isEqualTo("buyer-1");
    assertThat(TestGateway.await(store.load(placed.id(), "mer_aaaaaaaaaaaaaaaaaaaaaaaa"))).isNull();
    assertThat(gw.query("SELECT count(*) FROM order_units WHERE order_id = $1", placed.id()).get(0).getLong(0))
        .isEqualTo(2);
  }

  @Test
  void storesATransitionWithItsPostingsEvidenceAndOutboxRows() {
    Order placed = place();

    Outcome outcome = TestGateway.await(store.apply(placed.id(),
        new OrderEvent.PaymentReceived("sandbox:pay-1", Money.of(2000, "CNY"), false)));

    Transition funded = (Transition) outcome;
    StoredOrder loaded = TestGateway.await(store.load(placed.id()));
    assertThat(loaded.order()).isEqualTo(funded.order());
    assertThat(gw.query("SELECT state, version, next_action_at IS NOT NULL AS due FROM orders WHERE id = $1",
        placed.id()).get(0).getString("state")).isEqualTo("funded");
    assertThat(gw.query("SELECT sum(amount_minor)::bigint, count(*) FROM ledger_postings WHERE order_id = $1",
        placed.id()).get(0).getLong(0)).isZero();
    // This merchant has no webhook endpoint: its notify effects leave no row.
    assertThat(outboxKinds(placed.id())).isNotEmpty().containsExactlyInAnyOrderElementsOf(kinds(funded.effects()
        .stream().filter(effect -> effect.kind() != EffectKind.NOTIFY).toList()));
    assertThat(EvidenceChain.verify(evidence(placed.id()))).isEmpty();
  }

  @Test
  void writesNotifyRowsOnlyForAMerchantWithAWebhookEndpoint() {
    TestGateway.Merchant hooked = gw.createMerchant("Hooked shop", 200, null, "http://127.0.0.1:9/hooks");
    Order placed = place(hooked, gw.createSku(hooked));

    Transition funded = (Transition) TestGateway.await(store.apply(placed.id(),
        new OrderEvent.PaymentReceived("sandbox:pay-hooked", Money.of(2000, "CNY"), false)));

    assertThat(kinds(funded.effects())).contains(EffectKind.NOTIFY.code());
    assertThat(outboxKinds(placed.id())).containsExactlyInAnyOrderElementsOf(kinds(funded.effects()));
  }

  @Test
  void releasedFundsLeaveNoOutboxRowTheirPostingsMovedTheMoney() {
    Effect release = new Effect.ReleaseFunds("release-1", "ord_1", merchant.id(), List.of(0), Money.of(1000, "CNY"),
        Money.of(25, "CNY"), Money.of(975, "CNY"), ReleaseReason.CONFIRMED);
    Effect notify = new Effect.Notify("notify-1", "ord_1", EvidenceType.ORDER_RELEASED);

    assertThat(OrderRows.outboxEffects(List.of(release, notify))).containsExactly(notify);
  }

  @Test
  void claimsTheRowsAChangeQueuesForTheInstanceThatStoresItWhenAskedTo() {
    Order placed = place();
    Instant leasedPast = store.now().plusSeconds(50);
    store.claimEffectsAs("gw-store-test", java.time.Duration.ofMinutes(1));
    OrderStore.Applied applied;
    try {
      applied = TestGateway.await(store.apply(placed.id(), null, OrderStore.Decision.events(List.of(
          new OrderEvent.PaymentReceived("sandbox:pay-claimed", Money.of(2000, "CNY"), false)))));
    } finally {
      store.stopClaimingEffects();
    }

    List<Row> rows = gw.query("SELECT id, kind, claimed_by, attempts, next_attempt_at > $2 AS leased FROM outbox"
        + " WHERE order_id = $1 ORDER BY id", placed.id(), leasedPast.atOffset(java.time.ZoneOffset.UTC));
    assertThat(rows).isNotEmpty().allSatisfy(row -> {
      assertThat(row.getString("claimed_by")).isEqualTo("gw-store-test");
      assertThat(row.getInteger("attempts")).as("its first attempt, counted").isEqualTo(1);
      assertThat(row.getBoolean("leased")).as("leased, so no claim takes it").isTrue();
    });
    assertThat(applied.claimed()).extracting(ClaimedEffect::id)
        .containsExactlyElementsOf(rows.stream().map(row -> row.getLong("id")).toList());
    assertThat(applied.claimed()).extracting(ClaimedEffect::kind)
        .containsExactlyElementsOf(rows.stream().map(row -> row.getString("kind")).toList());
    assertThat(applied.unclaimed()).isZero();
  }

  @Test
  void leavesTheRowsAChangeQueuesToAnyInstanceWhenNotClaiming() {
    Order placed = place();

    OrderStore.Applied applied = TestGateway.await(store.apply(placed.id(), null, OrderStore.Decision.events(List.of(
        new OrderEvent.PaymentReceived("sandbox:pay-unclaimed", Money.of(2000, "CNY"), false)))));

    List<Row> rows = gw.query("SELECT claimed_by, attempts, next_attempt_at <= now() AS due FROM outbox"
        + " WHERE order_id = $1", placed.id());
    assertThat(rows).isNotEmpty().allSatisfy(row -> {
      assertThat(row.getString("claimed_by")).isNull();
      assertThat(row.getInteger("attempts")).isZero();
      assertThat(row.getBoolean("due")).isTrue();
    });
    assertThat(applied.claimed()).isEmpty();
    assertThat(applied.unclaimed()).isEqualTo(rows.size());
  }

  private static List<String> outboxKinds(String orderId) {
    return gw.query("SELECT kind FROM outbox WHERE order_id = $1", orderId).stream().map(row -> row.getString(0))
        .toList();
  }

  private static List<String> kinds(List<Effect> effects) {
    return effects.stream().map(effect -> effect.kind().code()).toList();
  }

  @Test
  void storesNothingForARejectedEvent() {
    Order placed = place();
    long eventsBefore = gw.query("SELECT count(*) FROM evidence_events").get(0).getLong(0);

    Outcome outcome = TestGateway.await(store.apply(placed.id(), new OrderEvent.Reveal()));

    assertThat(outcome).isInstanceOf(Rejection.class);
    assertThat(gw.query("SELECT count(*) FROM evidence_events").get(0).getLong(0)).isEqualTo(eventsBefore);
    assertThat(TestGateway.await(store.load(placed.id())).order().version()).isEqualTo(1);
  }

  @Test
  void aChangeFromAStaleVersionWritesNothingAtAll() {
    Order placed = place();
    TestGateway.await(store.apply(placed.id(), new OrderEvent.PaymentReceived("sandbox:pay-a", Money.of(2000, "CNY"),
        false)));
    String rows = "SELECT (SELECT count(*) FROM evidence_events WHERE order_id = $1)"
        + " + (SELECT count(*) FROM ledger_postings WHERE order_id = $1)"
        + " + (SELECT count(*) FROM outbox WHERE order_id = $1)";
    long before = gw.query(rows, placed.id()).get(0).getLong(0);
    // Decided on the placed order (version 1) while the stored one is at version 2 already.
    Transition stale = (Transition) placed.on(new OrderEvent.PaymentReceived("sandbox:pay-b", Money.of(2000, "CNY"),
        false), store.now());

    StoredOrder stalePlaced = TestGateway.await(store.load(placed.id())).with(placed);
    assertThatThrownBy(() -> TestGateway.await(store.persist(store.pool(), stalePlaced, stale, store.now())))
        .hasMessageContaining("moved past version 1");
    assertThat(gw.query(rows, placed.id()).get(0).getLong(0)).as("evidence, postings and outbox rows").isEqualTo(before);
    assertThat(TestGateway.await(store.load(placed.id())).order().version()).isEqualTo(2);
  }

  @Test
  void aNewOrderIsStoredWithItsRidersOnlyWhenItsGateAnswersARow() {
    TestGateway.Merchant shop = gw.createMerchant("Gate shop");
    String sku = gw.createSku(shop);
    // The gate renames the SKU only while it has its first name, so it answers a row once.
    String gateSql = "UPDATE skus SET name = %s WHERE merchant_id = %s AND id = %s AND name = 'Game card' RETURNING 1";
    String riderSql = "UPDATE merchants SET name = %s FROM written WHERE merchants.id = %s";
    List<String> passed = new ArrayList<>();
    Transition first = placing(shop, sku);
    Transition second = placing(shop, sku);

    TestGateway.await(store.insert(store.pool(), first, newRow(), new OrderStore.Gate(gateSql,
        List.of("Gated", shop.id(), sku), () -> passed.add("first"), () -> new IllegalStateException("shut")),
        List.of(new OrderStore.Rider(riderSql, List.of("Ridden by the first", shop.id())))));
    assertThatThrownBy(() -> TestGateway.await(store.insert(store.pool(), second, newRow(), new OrderStore.Gate(gateSql,
        List.of("Gated again", shop.id(), sku), () -> passed.add("second"), () -> new IllegalStateException("shut")),
        List.of(new OrderStore.Rider(riderSql, List.of("Ridden by the second", shop.id()))))))
        .hasMessageContaining("shut");

    assertThat(passed).containsExactly("first");
    assertThat(TestGateway.await(store.load(first.order().id(), shop.id())).order()).isEqualTo(first.order());
    assertThat(TestGateway.await(store.load(second.order().id(), shop.id()))).as("the order behind a shut gate").isNull();
    assertThat(gw.query("SELECT count(*) AS n FROM evidence_events WHERE order_id = $1", second.order().id()).get(0)
        .getLong("n")).isZero();
    assertThat(gw.query("SELECT name FROM skus WHERE merchant_id = $1 AND id = $2", shop.id(), sku).get(0)
        .getString("name")).isEqualTo("Gated");
    assertThat(gw.query("SELECT name FROM merchants WHERE id = $1", shop.id()).get(0).getString("name"))
        .isEqualTo("Ridden by the first");
    assertThatThrownBy(() -> new OrderStore.Gate("UPDATE skus SET name = %s", List.of("x"), () -> { },
        IllegalStateException::new)).as("a gate that answers nothing").isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aChangeBehindAGateIsStoredOnlyWhenTheGateAnswersARowAndItsRetryPassesItAgain() {
    TestGateway.Merchant shop = gw.createMerchant("Change gate shop");
    String sku = gw.createSku(shop);
    Order placed = place(shop, sku);
    StoredOrder stale = TestGateway.await(store.load(placed.id()));
    TestGateway.await(store.apply(placed.id(), new OrderEvent.PaymentReceived("sandbox:pay-gate-1",
        Money.of(2000, "CNY"), false)));
    // Lets through the SKU's first name or the gate's own: a request passes it again, another's does not.
    String gateSql = "UPDATE skus SET name = %s WHERE merchant_id = %s AND id = %s AND name IN ('Game card', %s)"
        + " RETURNING 1";
    List<String> passed = new ArrayList<>();
    OrderStore.Gate mine = new OrderStore.Gate(gateSql, List.of("Mine", shop.id(), sku, "Mine"),
        () -> passed.add("mine"), () -> new IllegalStateException("shut"));
    OrderStore.Gate theirs = new OrderStore.Gate(gateSql, List.of("Theirs", shop.id(), sku, "Theirs"),
        () -> passed.add("theirs"), () -> new IllegalStateException("shut"));

    // Decided first on version 1 (stale): the gate passes, the version check fails, the retry passes it again.
    OrderStore.Applied applied = TestGateway.await(store.apply(stale, OrderStore.Decision.events(List.of(
        new OrderEvent.PaymentReceived("sandbox:pay-gate-2", Money.of(2000, "CNY"), false)), mine)));
    assertThat(applied.after().order().version()).isEqualTo(3);
    assertThat(passed).containsExactly("mine", "mine");

    String rows = "SELECT (SELECT count(*) FROM evidence_events WHERE order_id = $1)"
        + " + (SELECT count(*) FROM ledger_postings WHERE order_id = $1)";
    long before = gw.query(rows, placed.id()).get(0).getLong(0);
    assertThatThrownBy(() -> TestGateway.await(store.apply(placed.id(), null, OrderStore.Decision.events(List.of(
        new OrderEvent.PaymentReceived("sandbox:pay-gate-3", Money.of(2000, "CNY"), false)), theirs))))
        .hasMessageContaining("shut");
    assertThat(passed).containsExactly("mine", "mine");
    assertThat(TestGateway.await(store.load(placed.id())).order().version()).as("behind a shut gate").isEqualTo(3);
    assertThat(gw.query(rows, placed.id()).get(0).getLong(0)).as("evidence and postings").isEqualTo(before);
    assertThat(gw.query("SELECT name FROM skus WHERE merchant_id = $1 AND id = $2", shop.id(), sku).get(0)
        .getString("name")).isEqualTo("Mine");
  }

  @Test
  void aConnectionKeepsTheChangeStatementPreparedAndDoesNotPlanItAgain() {
    Order placed = place();
    Transition funded = (Transition) placed.on(new OrderEvent.PaymentReceived("sandbox:pay-prepared",
        Money.of(2000, "CNY"), false), store.now());
    String preparedChanges = "SELECT count(*) FROM pg_prepared_statements"
        + " WHERE statement LIKE 'WITH written AS (UPDATE orders %'";

    long kept = TestGateway.await(store.pool().withConnection(connection ->
        OrderRows.write(connection, placed, funded, store.now(), null, null, null)
            .compose(written -> connection.query(preparedChanges).execute())
            .map(rows -> rows.iterator().next().getLong(0))));

    // Longer than the client's default limit for statements it keeps (2,048 characters): kept only because the
    // gateway raised it. Dropped after each call, the statement was parsed and planned anew at every change.
    assertThat(kept).isPositive();
  }

  @Test
  void aRiderWritesInTheStatementThatStoresTheChangeAndNothingWhenItsVersionCheckFails() {
    TestGateway.Merchant shop = gw.createMerchant("Rider shop");
    String sku = gw.createSku(shop);
    Order placed = place(shop, sku);
    OrderStore.Rider rename = new OrderStore.Rider("UPDATE skus SET name = %s FROM written"
        + " WHERE skus.merchant_id = %s AND skus.id = %s", List.of("Renamed by the change", shop.id(), sku));
    Transition funded = (Transition) placed.on(new OrderEvent.PaymentReceived("sandbox:pay-rider", Money.of(2000,
        "CNY"), false), store.now());
    Transition stale = (Transition) placed.on(new OrderEvent.PaymentReceived("sandbox:pay-rider-2", Money.of(2000,
        "CNY"), false), store.now());
    String skuName = "SELECT name FROM skus WHERE merchant_id = $1 AND id = $2";

    TestGateway.await(OrderRows.write(store.pool(), placed, funded, store.now(), null, rename, null));
    assertThat(gw.query(skuName, shop.id(), sku).get(0).getString("name")).isEqualTo("Renamed by the change");
    gw.query("UPDATE skus SET name = 'Game card' WHERE merchant_id = $1 AND id = $2", shop.id(), sku);

    // Decided on version 1 while the stored order is at version 2: neither the change nor its rider is written.
    assertThatThrownBy(() -> TestGateway.await(OrderRows.write(store.pool(), placed, stale, store.now(), null,
        rename, null))).hasMessageContaining("moved past version 1");
    assertThat(gw.query(skuName, shop.id(), sku).get(0).getString("name")).isEqualTo("Game card");
    assertThatThrownBy(() -> new OrderStore.Rider("UPDATE skus SET name = %s", List.of("x")))
        .as("a rider that does not read written").isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void serializesConcurrentChangesOfOneOrderAndFundsItOnce() {
    Order placed = place();
    List<Future<Outcome>> payments = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      payments.add(store.apply(placed.id(),
          new OrderEvent.PaymentReceived("sandbox:pay-" + i, Money.of(2000, "CNY"), false)));
    }
    TestGateway.await(Future.join(new ArrayList<Future<?>>(payments)));

    assertThat(payments).allMatch(Future::succeeded);
    Order stored = TestGateway.await(store.load(placed.id())).order();
    assertThat(stored.state()).isEqualTo(OrderState.FUNDED);
    assertThat(stored.payments()).hasSize(6);
    assertThat(stored.version()).isEqualTo(7);
    List<EvidenceEvent> events = evidence(placed.id());
    assertThat(EvidenceChain.verify(events)).isEmpty();
    assertThat(events).filteredOn(e -> e.type() == EvidenceType.ORDER_FUNDED).hasSize(1);
    assertThat(events).filteredOn(e -> e.type() == EvidenceType.PAYMENT_REFUNDED).hasSize(5);
    assertThat(gw.query("SELECT count(DISTINCT txn_id) FROM ledger_postings WHERE order_id = $1", placed.id())
        .get(0).getLong(0)).isEqualTo(6);
  }

  @Test
  void decidesOnTheOrderItIsGivenAndReadsAgainWhenAnotherChangeCameFirst() {
    Order placed = place();
    StoredOrder stale = TestGateway.await(store.load(placed.id()));
    TestGateway.await(store.apply(placed.id(),
        new OrderEvent.PaymentReceived("sandbox:pay-first", Money.of(2000, "CNY"), false)));

    OrderStore.Applied applied = TestGateway.await(store.apply(stale, new OrderStore.Decision() {
      @Override
      public Future<List<OrderEvent>> decide(SqlClient tx, StoredOrder current, Instant now) {
        return Future.succeededFuture(List.of(
            new OrderEvent.PaymentReceived("sandbox:pay-second", Money.of(2000, "CNY"), false)));
      }

      @Override
      public Future<StoredOrder> decided(SqlClient tx, StoredOrder before, StoredOrder after, Transition change) {
        return Future.succeededFuture(after.reservedAgain("rsv-again", before.order().updatedAt()));
      }
    }));

    assertThat(applied.before().order().version()).isEqualTo(2);
    assertThat(applied.after().order().version()).isEqualTo(3);
    StoredOrder stored = TestGateway.await(store.load(placed.id()));
    assertThat(stored.order().payments()).hasSize(2);
    assertThat(stored.order().fundingPaymentId()).contains("sandbox:pay-first");
    assertThat(stored.reservationId()).isEqualTo("rsv-again");
  }

  @Test
  void decidesTheNextChangeOnTheOrderItStoredLastWithoutReadingItAgain() {
    Order placed = place();
    OrderStore.Applied funded = TestGateway.await(store.apply(placed.id(), null, OrderStore.Decision.events(List.of(
        new OrderEvent.PaymentReceived("sandbox:pay-kept", Money.of(2000, "CNY"), false)))));

    OrderStore.Applied next = TestGateway.await(store.apply(placed.id(), null, OrderStore.Decision.events(List.of(
        new OrderEvent.PaymentReceived("sandbox:pay-kept-2", Money.of(2000, "CNY"), false)))));

    // The very object stored last: no read came between the two changes.
    assertThat(next.before()).isSameAs(funded.after());
    assertThat(next.after().order().version()).isEqualTo(3);
    assertThat(TestGateway.await(store.load(placed.id())).order()).isEqualTo(next.after().order());
  }

  @Test
  void decidesAgainOnAFreshReadWhenAnotherInstanceMovedTheOrderItKept() {
    Order placed = place();
    TestGateway.await(store.apply(placed.id(), new OrderEvent.PaymentReceived("sandbox:pay-here", Money.of(2000, "CNY"),
        false)));
    // Another gateway instance on the same database: its own store, so this store's kept order is now stale.
    OrderStore elsewhere = new OrderStore(gw.gateway().vertx(), store.pool(), store.clock(), new OrderChanges());
    TestGateway.await(elsewhere.apply(placed.id(), new OrderEvent.PaymentReceived("sandbox:pay-there",
        Money.of(2000, "CNY"), false)));

    OrderStore.Applied applied = TestGateway.await(store.apply(placed.id(), null, OrderStore.Decision.events(List.of(
        new OrderEvent.PaymentReceived("sandbox:pay-here-again", Money.of(2000, "CNY"), false)))));

    assertThat(applied.before().order().version()).as("decided on the order as the other instance left it")
        .isEqualTo(3);
    StoredOrder stored = TestGateway.await(store.load(placed.id()));
    assertThat(stored.order().version()).isEqualTo(4);
    assertThat(stored.order().payments()).extracting(payment -> payment.paymentId())
        .containsExactly("sandbox:pay-here", "sandbox:pay-there", "sandbox:pay-here-again");
    assertThat(EvidenceChain.verify(evidence(placed.id()))).isEmpty();
  }

  private static List<EvidenceEvent> evidence(String orderId) {
    List<EvidenceEvent> events = new ArrayList<>();
    for (Row row : gw.query("SELECT seq, type, at, data, prev_hash, hash FROM evidence_events WHERE order_id = $1"
        + " ORDER BY seq", orderId)) {
      Map<String, String> details = new TreeMap<>();
      row.getJsonObject("data").forEach(e -> details.put(e.getKey(), (String) e.getValue()));
      events.add(new EvidenceEvent(orderId, row.getLong("seq"), EvidenceType.fromCode(row.getString("type")),
          row.getOffsetDateTime("at").toInstant(), details, row.getString("prev_hash"), row.getString("hash")));
    }
    return events;
  }
}
