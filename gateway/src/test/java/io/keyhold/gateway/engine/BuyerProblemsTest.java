package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.adapters.reference.Faults;
import io.keyhold.escrow.SkuPolicy;
import io.keyhold.gateway.adapters.SandboxProvider;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each buyer problem of docs/README.md, solved without anybody complaining: one real gateway over HTTP and
 * real PostgreSQL, shops that are the built-in stock adapter or a reference merchant speaking the
 * merchant protocol, and a clock the tests move over deadlines. The sandbox provider runs with chaos
 * on, so every payment's notices arrive repeated and out of order.
 */
class BuyerProblemsTest {
  /** How late after a deadline the order may settle: the sweeper's lag plus the test's own pauses. */
  static final Duration SWEEPER_LAG = Duration.ofSeconds(5);
  /** How long a shop that sells used keys takes per answer: far above the tests' 20 ms between looks at an order. */
  static final int SLOW_SHOP_MS = 300;

  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start(engine -> engine.sandboxChaos(true), config -> { });
  }

  @AfterAll
  static void auditTheLedgerAndStop() throws Exception {
    try {
      // Whatever the tests above did to orders, money was never created, lost or paid twice.
      JsonObject audit = flows.gw.get("/admin/v1/audit", flows.gw.adminToken()).json();
      assertThat(audit.getBoolean("ok")).as(audit.encodePrettily()).isTrue();
      assertThat(flows.unbalancedTransactions()).isZero();
      assertThat(flows.gw.query("SELECT count(*) FROM outbox WHERE state = 'failed'").get(0).getLong(0)).isZero();
    } finally {
      flows.close();
    }
  }

  // ---- paid but never delivered

  @Test
  void refundsWhenShopNeverDelivers() {
    Flows.HttpShop shop = flows.httpShop("Never delivers", 10, Flows.shortPolicy(), null);
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 1);
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("error_rate", 1.0)));
    String paymentId = flows.pay(session, 1);
    flows.awaitState(shop.merchant(), session.orderId(), "funded");

    flows.advance(Duration.ofSeconds(11));
    JsonObject resupplying = flows.awaitState(shop.merchant(), session.orderId(), "resupplying");
    flows.advance(Duration.ofSeconds(11));
    JsonObject refunded = flows.awaitState(shop.merchant(), session.orderId(), "refunded");

    assertThat(flows.evidenceTypes(session.orderId())).containsSubsequence("order.funded",
        "unit.replacement_requested", "order.refunded");
    Instant resupplyBy = Instant.parse(resupplying.getJsonObject("deadlines").getString("resupply_by"));
    assertThat(evidenceTime(session.orderId(), "order.refunded")).isBefore(resupplyBy.plus(SWEEPER_LAG));
    assertThat(refunded.getJsonObject("refunded").getLong("amount")).isEqualTo(Flows.PRICE);
    assertRefundedBySandbox(paymentId, Flows.PRICE);
    assertThat(flows.balance("escrow:" + session.orderId())).isZero();
    // What the remote shop is told (the same view its webhook carries): no key of this order was ever shown.
    assertThat(refunded.containsKey("revealed_at")).isTrue();
    assertThat(refunded.getString("revealed_at")).isNull();
  }

  // ---- invalid or redeemed key

  @Test
  void replacesAnInvalidKeyWithAValidOne() {
    Flows.Merchant shop = flows.stockMerchant("Sells one bad key");
    String sku = flows.sku(shop, Flows.shortPolicy(), Flows.formatValidator("^GOOD[0-9]+$", "none"));
    flows.upload(shop, sku, List.of("BAD-" + UUID.randomUUID(), "GOOD" + System.nanoTime()));
    Flows.Session session = flows.checkout(shop, sku, 1);
    flows.pay(session, 1);

    JsonObject ready = flows.awaitState(shop, session.orderId(), "ready");

    assertThat(flows.evidenceTypes(session.orderId())).containsSubsequence("order.funded", "unit.key_delivered",
        "unit.checked", "unit.replacement_requested", "unit.key_delivered", "unit.checked", "order.ready");
    assertThat(verdicts(session.orderId())).containsExactly("invalid", "valid");
    JsonObject unit = ready.getJsonArray("units").getJsonObject(0);
    assertThat(unit.getString("state")).isEqualTo("valid");
    assertThat(unit.getInteger("replacements")).isEqualTo(1);
  }

  @Test
  void replacesAKeyTheIssuerSaysWasAlreadyRedeemed() {
    JsonObject patientPolicy = Flows.shortPolicy().put("max_resupply_attempts", SkuPolicy.MAX_RESUPPLY_ATTEMPTS_MAX);
    Flows.HttpShop shop = flows.httpShop("Sells used keys", 20, patientPolicy, Flows::luhnAndIssuer);
    // The shop sells used keys until the first replacement is seen. Its answers take a while, so the replacements
    // cannot run out between two looks at the order (in CI they once did: five in one look, and it was refunded).
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("redeemed_key_rate", 1.0)
        .put("latency_ms", SLOW_SHOP_MS)));
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 1);
    flows.pay(session, 1);
    flows.awaitOrder(shop.merchant(), session.orderId(),
        order -> order.getJsonArray("units").getJsonObject(0).getInteger("replacements") > 0, "a replacement");
    shop.shop().faults(Faults.none());

    JsonObject ready = flows.awaitState(shop.merchant(), session.orderId(), "ready");

    assertThat(verdicts(session.orderId())).startsWith("redeemed").endsWith("valid");
    assertThat(ready.getJsonArray("units").getJsonObject(0).getString("state")).isEqualTo("valid");
  }

  // ---- replacement invalid too

  @Test
  void keepsTheValidUnitSealedAndHeldWhenTheReplacementIsInvalidToo() {
    Flows.Merchant shop = flows.stockMerchant("Bad resupply");
    Flows.Session session = twoUnitsOneNeverValid(shop);
    String paymentId = flows.pay(session, 2);

    // Unit 1 may be refunded while unit 0's key is still being checked: wait for both to be decided.
    JsonObject ready = flows.awaitOrder(shop, session.orderId(),
        order -> order.getJsonArray("units").getJsonObject(1).getString("state").equals("refunded")
            && order.getJsonArray("units").getJsonObject(0).getString("state").equals("valid"),
        "unit 1 refunded and unit 0 checked");

    assertThat(ready.getString("state")).isEqualTo("ready");
    assertThat(ready.getJsonArray("units")).extracting(u -> ((JsonObject) u).getString("state"))
        .containsExactly("valid", "refunded");
    assertRefundedBySandbox(paymentId, Flows.PRICE);
    assertThat(flows.balance("merchant:" + shop.id() + ":payable")).as("nothing paid before the buyer saw the key")
        .isZero();
    assertThat(flows.balance("escrow:" + session.orderId())).isEqualTo(Flows.PRICE);
    assertThat(flows.evidenceTypes(session.orderId())).containsSubsequence("order.units_refunded", "order.ready")
        .doesNotContain("order.partially_refunded", "order.released");
  }

  @Test
  void letsTheBuyerDisputeTheHeldUnitWhileTheShownWindowIsOpen() {
    Flows.Merchant shop = flows.stockMerchant("Bad resupply, disputed");
    Flows.Session session = twoUnitsOneNeverValid(shop);
    flows.pay(session, 2);
    flows.awaitState(shop, session.orderId(), "ready");

    TestGateway.Response revealed =
        flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/reveal"), session.token(), "{}");
    assertThat(revealed.status()).as(revealed.toString()).isEqualTo(200);
    Instant endsAt = Instant.parse(revealed.json().getJsonObject("deadlines").getString("inspection_ends_at"));
    assertThat(endsAt).isAfter(Instant.now());
    TestGateway.Response disputed = flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/disputes"), session.token(),
        "{\"reason\":\"key_invalid\",\"text\":\"the code does not work\"}");

    assertThat(disputed.status()).as(disputed.toString()).isBetween(200, 201);
    assertThat(flows.order(shop, session.orderId()).getString("state")).isEqualTo("disputed");
    assertThat(flows.balance("merchant:" + shop.id() + ":payable")).isZero();
  }

  @Test
  void paysTheHeldUnitWhenTheBuyerConfirmsAfterAPartialRefund() {
    Flows.Merchant shop = flows.stockMerchant("Bad resupply, confirmed");
    Flows.Session session = twoUnitsOneNeverValid(shop);
    flows.pay(session, 2);
    flows.awaitState(shop, session.orderId(), "ready");
    assertThat(flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/reveal"), session.token(), "{}").status())
        .isEqualTo(200);

    TestGateway.Response confirmed =
        flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/confirm"), session.token(), "{}");

    assertThat(confirmed.status()).as(confirmed.toString()).isEqualTo(200);
    JsonObject settled = flows.awaitState(shop, session.orderId(), "partially_refunded");
    assertThat(settled.getJsonArray("units")).extracting(u -> ((JsonObject) u).getString("state"))
        .containsExactly("released", "refunded");
    assertThat(settled.getJsonObject("released").getLong("amount")).isEqualTo(Flows.PRICE);
    assertThat(settled.getJsonObject("refunded").getLong("amount")).isEqualTo(Flows.PRICE);
    long fee = Flows.PRICE * 250 / 10_000;
    assertThat(flows.balance("merchant:" + shop.id() + ":payable")).isEqualTo(Flows.PRICE - fee);
    assertThat(flows.balance("escrow:" + session.orderId())).isZero();
  }

  /** An order of two units whose unit 1 gets a bad key and a bad replacement, with one attempt allowed. */
  private static Flows.Session twoUnitsOneNeverValid(Flows.Merchant shop) {
    JsonObject oneAttempt = Flows.shortPolicy().put("max_resupply_attempts", 1);
    String sku = flows.sku(shop, oneAttempt, Flows.formatValidator("^GOOD[0-9]+$", "none"));
    // Claimed in upload order: unit 0 gets the good key, unit 1 the bad one, its replacement the other bad one.
    flows.upload(shop, sku, List.of("GOOD" + System.nanoTime(), "BAD-" + UUID.randomUUID(), "BAD-" + UUID.randomUUID()));
    return flows.checkout(shop, sku, 2);
  }

  // ---- the same key sold twice

  @Test
  void catchesTheSameKeyDeliveredToOrdersOfTwoMerchants() {
    Flows.Merchant first = flows.stockMerchant("First seller");
    String firstSku = flows.sku(first, Flows.shortPolicy(), null);
    String key = "SHARED-" + UUID.randomUUID();
    flows.upload(first, firstSku, List.of(key));
    Flows.Session firstOrder = flows.checkout(first, firstSku, 1);
    flows.pay(firstOrder, 1);
    flows.awaitState(first, firstOrder.orderId(), "ready");

    Flows.HttpShop second = flows.httpShop("Second seller", 5, Flows.shortPolicy(), null);
    Flows.Session secondOrder = flows.checkout(second.merchant(), second.skuId(), 1);
    second.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("error_rate", 1.0)));
    flows.pay(secondOrder, 1);
    flows.awaitState(second.merchant(), secondOrder.orderId(), "funded");
    // The same key again, written another way: the fingerprint normalizes case and dashes.
    String sameKeyRewritten = key.toLowerCase().replace("-", " ");
    TestGateway.Response pushed = flows.gw.post("/v1/orders/" + secondOrder.orderId() + "/deliveries",
        second.merchant().apiKey(), new JsonObject().put("units", new JsonArray()
            .add(new JsonObject().put("index", 0).put("key", sameKeyRewritten))).encode());

    assertThat(pushed.status()).as(pushed.toString()).isEqualTo(202);
    assertThat(pushed.json().getJsonArray("units").getJsonObject(0).getString("state")).isEqualTo("invalid");
    assertThat(flows.evidenceTypes(secondOrder.orderId())).containsSubsequence("unit.key_delivered",
        "unit.duplicate_key", "unit.replacement_requested");
    assertThat(flows.gw.query("SELECT duplicate FROM delivered_keys WHERE order_id = $1", secondOrder.orderId()))
        .extracting(row -> row.getBoolean("duplicate")).containsExactly(true);
    JsonObject firstAfter = flows.order(first, firstOrder.orderId());
    assertThat(firstAfter.getString("state")).isEqualTo("ready");
    assertThat(flows.gw.query("SELECT order_id FROM key_fingerprints WHERE order_id IN ($1, $2)",
        firstOrder.orderId(), secondOrder.orderId())).extracting(row -> row.getString("order_id"))
        .containsExactly(firstOrder.orderId());
  }

  // ---- keys with control characters

  @Test
  void refusesPushedKeysWithControlCharactersAndStoresNothing() {
    Flows.HttpShop shop = flows.httpShop("Pushes odd keys", 10, Flows.shortPolicy(), null);
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 2);
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("error_rate", 1.0)));
    flows.pay(session, 2);
    flows.awaitState(shop.merchant(), session.orderId(), "funded");
    String marker = "PUSHMARKER" + System.nanoTime();

    for (String character : List.of("\u0000", "\n", "\u001b[2J", "\u202e", "\u2067", "\ufeff")) {
      TestGateway.Response pushed = flows.gw.post("/v1/orders/" + session.orderId() + "/deliveries",
          shop.merchant().apiKey(), new JsonObject().put("units", new JsonArray()
              .add(new JsonObject().put("index", 0).put("key", "GOOD-" + marker))
              .add(new JsonObject().put("index", 1).put("key", "BAD-" + marker + character + "X"))).encode());

      assertThat(pushed.status()).as("U+%04X: %s", (int) character.charAt(0), pushed).isEqualTo(400);
      assertThat(pushed.problemCode()).isEqualTo("validation_failed");
      assertThat(pushed.json().getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
          .as(pushed.body()).containsExactly("/units/1/key");
      assertThat(pushed.body()).doesNotContain(marker);
    }
    assertThat(flows.gw.query("SELECT count(*) FROM delivered_keys WHERE order_id = $1", session.orderId())
        .get(0).getLong(0)).isZero();
    assertThat(flows.order(shop.merchant(), session.orderId()).getString("state")).isEqualTo("funded");
  }

  @Test
  void judgesKeysTheShopSentWithControlCharactersInvalidAndStoresNone() {
    Flows.HttpShop shop = flows.httpShop("Sends odd keys", 20, Flows.shortPolicy(), null);
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant")
        .put("control_character_key_rate", 1.0)));
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 1);
    String paymentId = flows.pay(session, 1);

    JsonObject refunded = flows.awaitState(shop.merchant(), session.orderId(), "refunded");

    // The delivery and both replacements were judged at once, without a validator, and asked again.
    assertThat(verdicts(session.orderId())).containsExactly("invalid", "invalid", "invalid");
    assertThat(flows.evidenceTypes(session.orderId())).containsSubsequence("unit.key_delivered", "unit.checked",
        "unit.replacement_requested", "unit.key_delivered", "unit.checked", "unit.replacement_requested",
        "unit.key_delivered", "unit.checked", "order.refunded");
    assertThat(refunded.getJsonArray("units").getJsonObject(0).getInteger("replacements")).isEqualTo(2);
    // Never stored, so never opened, shown or claimed as delivered.
    assertThat(flows.gw.query("SELECT count(*) FROM delivered_keys WHERE order_id = $1", session.orderId())
        .get(0).getLong(0)).isZero();
    assertThat(flows.gw.query("SELECT count(*) FROM key_fingerprints WHERE order_id = $1", session.orderId())
        .get(0).getLong(0)).isZero();
    assertRefundedBySandbox(paymentId, Flows.PRICE);
  }

  // ---- repeated and reordered notices, a second payment

  @Test
  void fundsOnceWhenPaymentNoticesAreRepeatedAndReordered() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Busy payer shop", "NOTICE-");
    Flows.Session session = placed.session();
    String paymentId = flows.pay(session, 1);

    flows.awaitState(placed.shop(), session.orderId(), "ready");
    flows.awaitTrue("every notice sent", "SELECT count(*) = 0 FROM outbox WHERE order_id = $1"
        + " AND kind = 'sandbox_notice' AND state <> 'done'", session.orderId());

    long succeededNotices = flows.gw.query("SELECT count(*) FROM outbox o, jsonb_array_elements(o.payload->'notices') n"
        + " WHERE o.order_id = $1 AND o.kind = 'sandbox_notice' AND n->>'type' = 'payment.succeeded'", session.orderId())
        .get(0).getLong(0);
    Row payment = flows.gw.query("SELECT use, notices FROM payments WHERE order_id = $1", session.orderId()).get(0);
    assertThat(succeededNotices).isGreaterThanOrEqualTo(2);
    assertThat(payment.getInteger("notices")).isEqualTo((int) succeededNotices);
    assertThat(payment.getString("use")).isEqualTo("funded");
    assertThat(flows.evidenceTypes(session.orderId())).filteredOn("order.funded"::equals).hasSize(1);
    assertThat(flows.gw.query("SELECT count(*) FROM ledger_postings WHERE order_id = $1 AND account = 'payments:in'",
        session.orderId()).get(0).getLong(0)).isEqualTo(1);
    assertThat(flows.gw.query("SELECT count(*) FROM refunds WHERE order_id = $1", session.orderId()).get(0).getLong(0))
        .isZero();
    assertThat(paymentId).startsWith("pay_");
  }

  @Test
  void answersTheSameSignedNoticeAcceptedAgainAndMovesNoMoneyTwice() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Replayed notice shop", "REPLAY-");
    Flows.Session session = placed.session();
    String paymentId = flows.startPayment(session, Flows.PRICE);
    String body = new JsonObject().put("id", "ntc_replayed").put("type", "payment.succeeded")
        .put("payment_id", paymentId).put("order_id", session.orderId())
        .put("amount", new JsonObject().put("amount", Flows.PRICE).put("currency", Flows.CURRENCY)).encode();
    SandboxProvider sandbox = flows.gw.gateway().engine().sandbox();
    Instant signedAt = flows.clock.instant();
    String signature = sandbox.signature(Buffer.buffer(body), signedAt);

    TestGateway.Response first = flows.gw.post("/v1/payments/sandbox/notify", null, body, "Keyhold-Signature", signature);
    List<String> afterFirst = moneyRows(session.orderId());
    TestGateway.Response again = flows.gw.post("/v1/payments/sandbox/notify", null, body, "Keyhold-Signature", signature);
    TestGateway.Response stale = flows.gw.post("/v1/payments/sandbox/notify", null, body, "Keyhold-Signature",
        sandbox.signature(Buffer.buffer(body), signedAt.minusSeconds(301)));

    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    assertThat(again.status()).as(again.toString()).isEqualTo(200);
    assertThat(again.json().getString("status")).isEqualTo("accepted");
    assertThat(stale.status()).isEqualTo(401);
    assertThat(stale.problemCode()).isEqualTo("bad_signature");
    assertThat(moneyRows(session.orderId())).as("payments, ledger and refunds after the repeat")
        .isEqualTo(afterFirst);
    Row payment = flows.gw.query("SELECT use, notices FROM payments WHERE order_id = $1", session.orderId()).get(0);
    assertThat(payment.getString("use")).isEqualTo("funded");
    assertThat(payment.getInteger("notices")).isEqualTo(2);
    assertThat(flows.evidenceTypes(session.orderId())).filteredOn("order.funded"::equals).hasSize(1);
  }

  @Test
  void sendsANoticeRowOfEitherFormInOneRequestAndRefusesAnOverfullOne() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Notice rows shop", "ROWS-");
    Flows.Session session = placed.session();
    String paymentId = flows.startPayment(session, Flows.PRICE);
    SandboxProvider sandbox = flows.gw.gateway().engine().sandbox();
    JsonObject succeeded = new JsonObject().put("id", "ntc_rows").put("type", "payment.succeeded")
        .put("payment_id", paymentId).put("order_id", session.orderId())
        .put("amount", new JsonObject().put("amount", Flows.PRICE).put("currency", Flows.CURRENCY));
    JsonObject pending = succeeded.copy().put("id", "ntc_rows_pending").put("type", "payment.pending");

    // A row of today's form (pending, then succeeded), then one queued before rows held several notices.
    TestGateway.await(sandbox.send(new JsonObject().put("notices", new JsonArray().add(pending).add(succeeded))));
    TestGateway.await(sandbox.send(succeeded));
    Row payment = flows.gw.query("SELECT use, notices FROM payments WHERE order_id = $1", session.orderId()).get(0);
    assertThat(payment.getString("use")).isEqualTo("funded");
    assertThat(payment.getInteger("notices")).as("the succeeded notice of each row").isEqualTo(2);
    assertThatThrownBy(() -> TestGateway.await(sandbox.send(new JsonObject().put("notices",
        new JsonArray().add(pending).add(succeeded).add(succeeded))))).hasMessageContaining("1 to 2 notices");
    assertThat(flows.gw.query("SELECT notices FROM payments WHERE order_id = $1", session.orderId()).get(0)
        .getInteger("notices")).as("nothing of an overfull row is sent").isEqualTo(2);

    // A request of more notices than a row holds, signed, is unreadable: refused whole, nothing of it applied.
    String overfull = new JsonObject().put("notices", new JsonArray().add(pending).add(succeeded).add(succeeded))
        .encode();
    TestGateway.Response refused = flows.gw.post("/v1/payments/sandbox/notify", null, overfull, "Keyhold-Signature",
        sandbox.signature(Buffer.buffer(overfull), flows.clock.instant()));
    assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
    assertThat(refused.problemCode()).isEqualTo("bad_signature");
    assertThat(flows.gw.query("SELECT notices FROM payments WHERE order_id = $1", session.orderId()).get(0)
        .getInteger("notices")).as("nothing of a refused request is applied").isEqualTo(2);
  }

  @Test
  void refusesANoticeWithAForgedSignatureAndStoresNothing() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Forged notice shop", "FORGED-");
    Flows.Session session = placed.session();
    String body = new JsonObject().put("id", "ntc_x").put("type", "payment.succeeded").put("payment_id", "pay_forged")
        .put("order_id", session.orderId())
        .put("amount", new JsonObject().put("amount", Flows.PRICE).put("currency", Flows.CURRENCY)).encode();

    TestGateway.Response unsigned = flows.gw.post("/v1/payments/sandbox/notify", null, body);
    TestGateway.Response forged = flows.gw.post("/v1/payments/sandbox/notify", null, body, "Keyhold-Signature",
        "t=" + flows.clock.instant().getEpochSecond() + ",v1=" + "ab".repeat(32));

    assertThat(unsigned.status()).isEqualTo(401);
    assertThat(forged.problemCode()).isEqualTo("bad_signature");
    assertThat(flows.gw.query("SELECT count(*) FROM payments WHERE order_id = $1", session.orderId()).get(0).getLong(0))
        .isZero();
    assertThat(flows.order(placed.shop(), session.orderId()).getString("state")).isEqualTo("awaiting_payment");
  }

  @Test
  void refundsASecondPaymentForTheSameOrder() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Double charge shop", "TWICE-");
    Flows.Session session = placed.session();
    String first = flows.startPayment(session, Flows.PRICE);
    String second = flows.startPayment(session, Flows.PRICE);
    flows.confirmPayment(first);
    flows.confirmPayment(second);

    flows.awaitOrder(placed.shop(), session.orderId(), order -> order.getJsonArray("payments").size() == 2,
        "two payments");
    flows.awaitTrue("the second payment refunded", "SELECT count(*) = 1 FROM refunds WHERE order_id = $1",
        session.orderId());

    List<String> uses = new ArrayList<>();
    flows.gw.query("SELECT use FROM payments WHERE order_id = $1 ORDER BY use", session.orderId())
        .forEach(row -> uses.add(row.getString("use")));
    assertThat(uses).containsExactly("funded", "refunded");
    long refundedToBuyer = flows.gw.query("SELECT sum(refunded_minor) FROM sandbox_payments WHERE order_id = $1",
        session.orderId()).get(0).getLong(0);
    assertThat(refundedToBuyer).isEqualTo(Flows.PRICE);
    assertThat(flows.balance("escrow:" + session.orderId())).isEqualTo(Flows.PRICE);
    assertThat(flows.evidenceTypes(session.orderId())).filteredOn("order.funded"::equals).hasSize(1);
  }

  // ---- the shop disappears

  @Test
  void refundsEveryOpenOrderWhenTheShopVanishes() {
    Flows.HttpShop shop = flows.httpShop("Runs away", 10, Flows.shortPolicy(), Flows::luhnAndIssuer);
    List<Flows.Session> sessions = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sessions.add(flows.checkout(shop.merchant(), shop.skuId(), 1));
    }
    TestGateway.await(shop.shop().close());
    sessions.forEach(session -> flows.pay(session, 1));
    sessions.forEach(session -> flows.awaitState(shop.merchant(), session.orderId(), "funded"));

    flows.advance(Duration.ofSeconds(11));
    sessions.forEach(session -> flows.awaitState(shop.merchant(), session.orderId(), "resupplying"));
    flows.advance(Duration.ofSeconds(11));

    for (Flows.Session session : sessions) {
      JsonObject refunded = flows.awaitState(shop.merchant(), session.orderId(), "refunded");
      Instant resupplyBy = Instant.parse(refunded.getJsonObject("deadlines").getString("resupply_by"));
      assertThat(evidenceTime(session.orderId(), "order.refunded")).isBefore(resupplyBy.plus(SWEEPER_LAG));
      assertThat(flows.balance("escrow:" + session.orderId())).isZero();
    }
    flows.awaitTrue("every refund paid out", "SELECT count(*) = 3 FROM refunds WHERE order_id = ANY($1)",
        (Object) sessions.stream().map(Flows.Session::orderId).toArray(String[]::new));
  }

  // ---- payment after expiry

  @Test
  void fulfilsAPaymentAfterExpiryWhenStockIsStillFree() {
    Flows.Merchant shop = flows.stockMerchant("Late payer shop");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, List.of("LATE-" + UUID.randomUUID()));
    Flows.Session session = expiredOrder(shop, sku);

    flows.pay(session, 1);

    flows.awaitState(shop, session.orderId(), "ready");
    assertThat(flows.evidenceTypes(session.orderId())).containsSubsequence("order.expired", "order.funded",
        "order.ready");
  }

  @Test
  void fundsALatePaymentOnceWhenItsNoticeArrivesManyTimesAtOnce() {
    Flows.Merchant shop = flows.stockMerchant("Stormy late shop");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, List.of("STORM-" + UUID.randomUUID()));
    Flows.Session session = expiredOrder(shop, sku);
    String paymentId = flows.startPayment(session, Flows.PRICE);
    JsonObject notice = new JsonObject().put("id", "ntc_storm").put("type", "payment.succeeded")
        .put("payment_id", paymentId).put("order_id", session.orderId())
        .put("amount", new JsonObject().put("amount", Flows.PRICE).put("currency", Flows.CURRENCY));

    // Five copies at once, each signed and sent over HTTP by the sandbox provider itself.
    List<io.vertx.core.Future<Void>> storm = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      storm.add(flows.gw.gateway().engine().sandbox().send(notice));
    }
    TestGateway.await(io.vertx.core.Future.all(storm));

    flows.awaitState(shop, session.orderId(), "ready");
    Row payment = flows.gw.query("SELECT use, notices FROM payments WHERE order_id = $1", session.orderId()).get(0);
    assertThat(payment.getString("use")).isEqualTo("funded");
    assertThat(payment.getInteger("notices")).isEqualTo(5);
    assertThat(flows.evidenceTypes(session.orderId())).filteredOn("order.funded"::equals).hasSize(1);
    assertThat(flows.gw.query("SELECT count(*) FROM refunds WHERE order_id = $1", session.orderId()).get(0).getLong(0))
        .isZero();
  }

  @Test
  void refundsAPaymentAfterExpiryAtOnceWhenStockIsGone() {
    Flows.Merchant shop = flows.stockMerchant("Sold out shop");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, List.of("ONLY-" + UUID.randomUUID()));
    Flows.Session late = expiredOrder(shop, sku);
    Flows.Session punctual = flows.checkout(shop, sku, 1);

    String paymentId = flows.pay(late, 1);

    assertLatePaymentRefunded(shop, late.orderId());
    assertThat(flows.evidenceTypes(late.orderId())).contains("payment.refunded").doesNotContain("order.funded");
    assertRefundedBySandbox(paymentId, Flows.PRICE);
    assertThat(flows.order(shop, punctual.orderId()).getString("state")).isEqualTo("awaiting_payment");
  }

  @Test
  void refundsAPaymentAfterExpiryEvenWithStockFreeWhenTheSkuSaysRefund() {
    Flows.Merchant shop = flows.stockMerchant("Strict shop");
    String sku = flows.sku(shop, Flows.shortPolicy().put("late_payment_policy", "refund"), null);
    flows.upload(shop, sku, List.of("STRICT-" + UUID.randomUUID()));
    Flows.Session late = expiredOrder(shop, sku);

    String paymentId = flows.pay(late, 1);

    assertLatePaymentRefunded(shop, late.orderId());
    assertRefundedBySandbox(paymentId, Flows.PRICE);
    assertThat(flows.gw.query("SELECT count(*) FROM stock_keys WHERE sku_id = $1 AND state = 'available'", sku)
        .get(0).getLong(0)).as("the key stays in stock").isEqualTo(1);
  }

  @Test
  void refundsAPaymentAfterExpiryAtOnceWhenTheRemoteShopHasNoStock() {
    Flows.HttpShop shop = flows.httpShop("Sold out remote shop", 1, Flows.shortPolicy(), null);
    Flows.Session late = expiredOrder(shop.merchant(), shop.skuId());
    // The shop's only key, back in its free stock since the expiry, goes to a punctual buyer.
    Flows.Session punctual = flows.checkout(shop.merchant(), shop.skuId(), 1);

    String paymentId = flows.pay(late, 1);

    assertLatePaymentSettledAtOnce(shop.merchant(), late.orderId(), "refunded");
    assertLatePaymentRefunded(shop.merchant(), late.orderId());
    assertThat(flows.evidenceTypes(late.orderId())).contains("payment.refunded").doesNotContain("order.funded");
    assertRefundedBySandbox(paymentId, Flows.PRICE);
    assertThat(flows.order(shop.merchant(), punctual.orderId()).getString("state")).isEqualTo("awaiting_payment");
  }

  @Test
  void refundsAPaymentAfterExpiryAtOnceWhenTheRemoteShopDoesNotAnswer() {
    Flows.HttpShop shop = flows.httpShop("Silent remote shop", 1, Flows.shortPolicy(), null);
    Flows.Session late = expiredOrder(shop.merchant(), shop.skuId());
    // Stock is free, but the shop no longer answers: an unknown outcome is no stock (fail-safe), never a wait.
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("timeout_rate", 1.0)));

    String paymentId = flows.pay(late, 1);

    assertLatePaymentSettledAtOnce(shop.merchant(), late.orderId(), "refunded");
    assertLatePaymentRefunded(shop.merchant(), late.orderId());
    assertRefundedBySandbox(paymentId, Flows.PRICE);
    shop.shop().faults(Faults.none());
  }

  @Test
  void fulfilsAPaymentAfterExpiryWhenTheRemoteShopStillHasStock() {
    Flows.HttpShop shop = flows.httpShop("Late remote shop", 1, Flows.shortPolicy(), null);
    Flows.Session late = expiredOrder(shop.merchant(), shop.skuId());

    flows.pay(late, 1);

    assertLatePaymentSettledAtOnce(shop.merchant(), late.orderId(), "funded");
    flows.awaitState(shop.merchant(), late.orderId(), "ready");
    assertThat(flows.evidenceTypes(late.orderId())).containsSubsequence("order.expired", "order.funded",
        "order.ready");
    assertThat(flows.gw.query("SELECT count(*) FROM refunds WHERE order_id = $1", late.orderId()).get(0).getLong(0))
        .isZero();
  }

  // ---- merchants see only their own orders

  @Test
  void merchantGets404OnAnotherMerchantsOrders() {
    Flows.Merchant owner = flows.stockMerchant("Owner");
    Flows.Merchant stranger = flows.stockMerchant("Stranger");
    String sku = flows.sku(owner, Flows.shortPolicy(), null);
    flows.upload(owner, sku, List.of("MINE-" + UUID.randomUUID()));
    Flows.Session session = flows.checkout(owner, sku, 1);
    String orderPath = "/v1/orders/" + session.orderId();

    TestGateway.Response get = flows.gw.get(orderPath, stranger.apiKey());
    TestGateway.Response push = flows.gw.post(orderPath + "/deliveries", stranger.apiKey(), new JsonObject()
        .put("units", new JsonArray().add(new JsonObject().put("index", 0).put("key", "X-" + UUID.randomUUID())))
        .encode());
    TestGateway.Response checkout = flows.tryCheckout(stranger, sku, 1);
    TestGateway.Response list = flows.gw.get("/v1/orders", stranger.apiKey());
    TestGateway.Response missing = flows.gw.get("/v1/orders/ord_aaaaaaaaaaaaaaaaaaaaaaaa", stranger.apiKey());

    assertThat(get.status()).isEqualTo(404);
    assertThat(get.problemCode()).isEqualTo("not_found");
    assertThat(get.json().getString("detail")).isEqualTo(missing.json().getString("detail"));
    assertThat(push.status()).isEqualTo(404);
    assertThat(checkout.status()).isEqualTo(404);
    assertThat(list.json().getJsonArray("items")).isEmpty();
    assertThat(flows.gw.get(orderPath, owner.apiKey()).status()).isEqualTo(200);
    assertThat(flows.gw.get("/v1/orders?state=awaiting_payment", owner.apiKey()).json().getJsonArray("items"))
        .extracting(item -> ((JsonObject) item).getString("id")).containsExactly(session.orderId());
    assertThat(flows.gw.query("SELECT count(*) FROM delivered_keys WHERE order_id = $1", session.orderId())
        .get(0).getLong(0)).isZero();
  }

  @Test
  void answersOutOfStockAndStoresNothing() {
    Flows.Merchant shop = flows.stockMerchant("Nearly empty");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, List.of("ONE-" + UUID.randomUUID()));
    long ordersBefore = flows.gw.query("SELECT count(*) FROM orders").get(0).getLong(0);

    TestGateway.Response tooMany = flows.tryCheckout(shop, sku, 2);

    assertThat(tooMany.status()).isEqualTo(409);
    assertThat(tooMany.problemCode()).isEqualTo("out_of_stock");
    assertThat(tooMany.json().getInteger("available_units")).as("fewer would sell").isEqualTo(1);
    assertThat(tooMany.json().getInteger("held_units")).as("no checkout holds a key").isZero();
    assertThat(tooMany.json().containsKey("held_until")).isFalse();
    assertThat(flows.gw.query("SELECT count(*) FROM orders").get(0).getLong(0)).isEqualTo(ordersBefore);
    assertThat(flows.gw.get("/v1/skus/" + sku + "/stock", shop.apiKey()).json().getJsonObject("stock")
        .getLong("available")).isEqualTo(1);
  }

  @Test
  void soldOutSaysWhatUnpaidCheckoutsHoldAndSellsItOnceTheirHoldEnds() {
    Flows.Merchant shop = flows.stockMerchant("Held back");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, List.of("HELD-" + UUID.randomUUID()));
    Flows.Session unpaid = flows.checkout(shop, sku, 1);

    TestGateway.Response soldOut = flows.tryCheckout(shop, sku, 1);
    TestGateway.Response toldAgain = flows.tryCheckout(shop, sku, 1);

    assertThat(soldOut.status()).isEqualTo(409);
    assertThat(soldOut.problemCode()).isEqualTo("out_of_stock");
    assertThat(soldOut.json().getInteger("available_units")).isZero();
    assertThat(soldOut.json().getInteger("held_units")).as("the unpaid checkout's key").isEqualTo(1);
    assertThat(Instant.parse(soldOut.json().getString("held_until"))).as("the unpaid checkout's pay deadline")
        .isEqualTo(Instant.parse(unpaid.json().getString("expires_at")));
    assertThat(toldAgain.json().getInteger("held_units")).as("answered from memory, the same").isEqualTo(1);
    assertThat(toldAgain.json().getString("held_until")).isEqualTo(soldOut.json().getString("held_until"));

    flows.advance(Duration.ofSeconds(61));
    flows.awaitState(shop, unpaid.orderId(), "expired");
    awaitEffectsDone(unpaid.orderId());
    Flows.Session comeBack = flows.checkout(shop, sku, 1);

    assertThat(comeBack.orderId()).isNotEqualTo(unpaid.orderId());
    assertThat(flows.gw.get("/v1/skus/" + sku + "/stock", shop.apiKey()).json().getJsonObject("stock")
        .getLong("available")).isZero();
  }

  // ---- operations

  @Test
  void publishesEachShopsCircuitBreakerInTheGatewayMetrics() {
    Flows.HttpShop shop = flows.httpShop("Measured shop", 5, Flows.shortPolicy(), null);
    flows.checkout(shop.merchant(), shop.skuId(), 1);

    String metrics = flows.gw.get("/metrics", flows.gw.adminToken()).body();

    assertThat(metrics).containsPattern("resilience4j_circuitbreaker_state\\{[^}]*name=\"" + shop.merchant().id()
        + "/http-adapter\"[^}]*state=\"closed\"[^}]*} 1\\.0");
    assertThat(metrics).contains("keyhold_adapter_calls");
  }

  // ---- keys at rest

  @Test
  void storesNoPlaintextKeyInTheDatabase() {
    Flows.Merchant shop = flows.stockMerchant("Secretive shop");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    String stockKey = "PLAIN" + UUID.randomUUID().toString().replace("-", "").toUpperCase();
    flows.upload(shop, sku, List.of(stockKey));
    Flows.Session delivered = flows.checkout(shop, sku, 1);
    flows.pay(delivered, 1);
    flows.awaitState(shop, delivered.orderId(), "ready");
    Flows.HttpShop pusher = flows.httpShop("Pushing shop", 5, Flows.shortPolicy(), null);
    Flows.Session pushedOrder = flows.checkout(pusher.merchant(), pusher.skuId(), 1);
    pusher.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("error_rate", 1.0)));
    flows.pay(pushedOrder, 1);
    flows.awaitState(pusher.merchant(), pushedOrder.orderId(), "funded");
    String pushedKey = "PUSHED" + UUID.randomUUID().toString().replace("-", "").toUpperCase();
    assertThat(flows.gw.post("/v1/orders/" + pushedOrder.orderId() + "/deliveries", pusher.merchant().apiKey(),
        new JsonObject().put("units", new JsonArray().add(new JsonObject().put("index", 0).put("key", pushedKey)))
            .encode()).status()).isEqualTo(202);

    String everything = dumpDatabase();

    for (String key : List.of(stockKey, pushedKey)) {
      assertThat(everything).doesNotContain(key).doesNotContain(key.toLowerCase())
          .doesNotContain(java.util.HexFormat.of().formatHex(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    assertThat(flows.gw.query("SELECT count(*) FROM delivered_keys WHERE order_id IN ($1, $2)", delivered.orderId(),
        pushedOrder.orderId()).get(0).getLong(0)).isEqualTo(2);
  }

  // ---- helpers

  private static String dumpDatabase() {
    StringBuilder all = new StringBuilder();
    for (Row table : flows.gw.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
      String name = table.getString("tablename");
      for (Row row : flows.gw.query("SELECT t::text FROM \"" + name + "\" t")) {
        all.append(row.getString(0)).append('\n');
      }
    }
    return all.toString();
  }

  /** What money an order moved: its payments (but the notice count), ledger postings and refunds, one line each. */
  private static List<String> moneyRows(String orderId) {
    List<String> rows = new ArrayList<>();
    flows.gw.query("SELECT provider_txn_id, amount_minor, use FROM payments WHERE order_id = $1 ORDER BY 1", orderId)
        .forEach(row -> rows.add("payment " + row.getString(0) + " " + row.getLong(1) + " " + row.getString(2)));
    flows.gw.query("SELECT txn_id, account, amount_minor FROM ledger_postings WHERE order_id = $1 ORDER BY id", orderId)
        .forEach(row -> rows.add("posting " + row.getValue(0) + " " + row.getString(1) + " " + row.getLong(2)));
    flows.gw.query("SELECT idempotency_key, amount_minor FROM refunds WHERE order_id = $1 ORDER BY 1", orderId)
        .forEach(row -> rows.add("refund " + row.getString(0) + " " + row.getLong(1)));
    return rows;
  }

  private static List<String> verdicts(String orderId) {
    List<String> verdicts = new ArrayList<>();
    flows.gw.query("SELECT data->>'verdict' AS verdict FROM evidence_events WHERE order_id = $1"
        + " AND type = 'unit.checked' ORDER BY seq", orderId).forEach(row -> verdicts.add(row.getString("verdict")));
    return verdicts;
  }

  private static Instant evidenceTime(String orderId, String type) {
    return flows.gw.query("SELECT at FROM evidence_events WHERE order_id = $1 AND type = $2", orderId, type)
        .get(0).getOffsetDateTime("at").toInstant();
  }

  /** A checkout left unpaid past its payment deadline, expired by the sweeper with its effects carried out. */
  private static Flows.Session expiredOrder(Flows.Merchant shop, String sku) {
    Flows.Session session = flows.checkout(shop, sku, 1);
    flows.advance(Duration.ofSeconds(61));
    flows.awaitState(shop, session.orderId(), "expired");
    awaitEffectsDone(session.orderId());
    return session;
  }

  /** The expired order refunded its late payment once and stayed expired. */
  private static void assertLatePaymentRefunded(Flows.Merchant shop, String orderId) {
    flows.awaitTrue("the late payment refunded", "SELECT count(*) = 1 FROM refunds WHERE order_id = $1", orderId);
    JsonObject expired = flows.order(shop, orderId);
    assertThat(expired.getString("state")).isEqualTo("expired");
    assertThat(expired.getJsonArray("payments").getJsonObject(0).getString("use")).isEqualTo("refunded");
  }

  /**
   * The late payment's fate was decided when its notice was applied, not by a later deadline: the
   * payment's use is {@code use} with the clock still short of any delivery deadline of the order.
   */
  private static void assertLatePaymentSettledAtOnce(Flows.Merchant shop, String orderId, String use) {
    Instant paidAt = flows.clock.instant();
    flows.awaitTrue("the late payment applied", "SELECT count(*) = 1 FROM payments WHERE order_id = $1"
        + " AND use IS NOT NULL", orderId);
    assertThat(flows.gw.query("SELECT use FROM payments WHERE order_id = $1", orderId).get(0).getString("use"))
        .isEqualTo(use);
    assertThat(flows.clock.instant()).as("decided before any delivery deadline could pass")
        .isBefore(paidAt.plusSeconds(Flows.shortPolicy().getLong("deliver_within_seconds")));
    if ("refunded".equals(use)) {
      assertThat(flows.order(shop, orderId).getString("state")).isEqualTo("expired");
    }
  }

  private static void awaitEffectsDone(String orderId) {
    flows.awaitTrue("effects of " + orderId + " done", "SELECT count(*) = 0 FROM outbox WHERE order_id = $1"
        + " AND state = 'pending' AND kind <> 'sandbox_notice'", orderId);
  }

  private static void assertRefundedBySandbox(String paymentId, long amount) {
    flows.awaitTrue("sandbox payment " + paymentId + " refunded",
        "SELECT refunded_minor = $2 FROM sandbox_payments WHERE id = $1", paymentId, amount);
  }
}
