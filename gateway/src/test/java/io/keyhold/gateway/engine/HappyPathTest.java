package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.signature.Signatures;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The plain path, end to end over HTTP: checkout, sandbox payment, stock delivery, validation, ready;
 * and what shops and buyers see on the way (session, pay page, order list, signed webhooks).
 */
class HappyPathTest {
  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  @Test
  void paidOrderGetsItsStockKeysCheckedAndBecomesReady() {
    Flows.Merchant shop = flows.stockMerchant("Happy shop");
    String sku = flows.sku(shop, Flows.shortPolicy(), Flows.formatValidator("^GOOD[0-9]+$", "none"));
    flows.upload(shop, sku, List.of("GOOD1", "GOOD2", "GOOD3"));

    Flows.Session session = flows.checkout(shop, sku, 2);
    assertThat(flows.order(shop, session.orderId()).getString("state")).isEqualTo("awaiting_payment");
    flows.pay(session, 2);

    JsonObject ready = flows.awaitState(shop, session.orderId(), "ready");

    assertThat(ready.getJsonArray("units")).extracting(u -> ((JsonObject) u).getString("state"))
        .containsExactly("valid", "valid");
    assertThat(flows.evidenceTypes(session.orderId())).containsSubsequence("order.placed", "order.funded",
        "unit.key_delivered", "unit.checked", "order.ready");
    assertThat(flows.balance("escrow:" + session.orderId())).isEqualTo(2 * Flows.PRICE);
    assertThat(flows.unbalancedTransactions()).isZero();
    TestGateway.Response stock = flows.gw.get("/v1/skus/" + sku + "/stock", shop.apiKey());
    assertThat(stock.json().getJsonObject("stock").getLong("delivered")).isEqualTo(2);
  }

  @Test
  void judgesKeysOfAFormatCheckedSkuInTheChangeThatDeliversThem() {
    PaidOrder paid = paidOrderOfTwo("Format-checked shop", "^GOOD[0-9]+$", List.of("GOOD7", "BAD8"));
    Flows.Merchant shop = paid.shop();
    Flows.Session session = paid.session();
    // Waits for the verdicts first, then reads the order: a view read before the delivery shows no key judged.
    flows.awaitTrue("both keys of the first delivery judged", "SELECT count(*) = 2 FROM evidence_events"
        + " WHERE order_id = $1 AND type = 'unit.checked' AND data->>'check' = '1'", session.orderId());
    JsonObject judged = flows.order(shop, session.orderId());

    // One valid key, one that breaks the format: both judged as they were stored, in the delivery's transaction.
    assertThat(judged.getJsonArray("units")).extracting(u -> ((JsonObject) u).getString("state")).first()
        .isEqualTo("valid");
    Row firstDelivery = flows.gw.query("SELECT count(*) AS events, count(DISTINCT tx) AS changes"
        + " FROM evidence_events WHERE order_id = $1 AND ((type = 'unit.key_delivered' AND data->>'delivery' = '1')"
        + " OR (type = 'unit.checked' AND data->>'check' = '1'))", session.orderId()).get(0);
    assertThat(firstDelivery.getLong("events")).as("two keys delivered, two verdicts").isEqualTo(4);
    assertThat(firstDelivery.getLong("changes")).as("transactions that wrote them").isEqualTo(1);
    assertThat(flows.outbox(session.orderId())).noneMatch(row -> row.startsWith("validate_unit"));
  }

  @Test
  void takesStockKeysAndStoresTheirDeliveryInOneTransaction() {
    PaidOrder paid = paidOrderOfTwo("One-commit shop", "^ONE[0-9]+$", List.of("ONE1", "ONE2"));
    Flows.Session session = paid.session();
    flows.awaitState(paid.shop(), session.orderId(), "ready");

    // The keys left the stock (stock_deliveries) in the transaction that gave them to the order (its evidence).
    Row writers = flows.gw.query("SELECT (SELECT array_agg(DISTINCT xmin::text) FROM stock_deliveries"
        + " WHERE order_ref = $1) AS stock, (SELECT array_agg(DISTINCT (tx::text::bigint % 4294967296)::text)"
        + " FROM evidence_events WHERE order_id = $1 AND type = 'unit.key_delivered') AS delivery",
        session.orderId()).get(0);
    assertThat(writers.getArrayOfStrings("stock")).hasSize(1);
    assertThat(writers.getArrayOfStrings("stock")).containsExactly(writers.getArrayOfStrings("delivery"));
  }

  @Test
  void settlesThePaymentInTheStatementThatFundsTheOrder() {
    PaidOrder paid = paidOrderOfTwo("Settled shop", "^SET[0-9]+$", List.of("SET1", "SET2"));
    Flows.Session session = paid.session();
    flows.awaitState(paid.shop(), session.orderId(), "ready");

    Row payment = flows.gw.query("SELECT use, claim_token, claimed_until, claimed_by, xmin::text AS writer"
        + " FROM payments WHERE order_id = $1", session.orderId()).get(0);
    assertThat(payment.getString("use")).isEqualTo("funded");
    assertThat(payment.getValue("claim_token")).as("the claim ended with it").isNull();
    assertThat(payment.getValue("claimed_until")).isNull();
    assertThat(payment.getValue("claimed_by")).isNull();
    // Written by the change that funded the order (its evidence), with it: both or neither.
    List<Row> funding = flows.gw.query("SELECT (tx::text::bigint % 4294967296)::text AS writer FROM evidence_events"
        + " WHERE order_id = $1 AND type = 'order.funded'", session.orderId());
    assertThat(funding).extracting(row -> row.getString("writer")).containsExactly(payment.getString("writer"));
  }

  private record PaidOrder(Flows.Merchant shop, Flows.Session session) {}

  /** A stock shop whose SKU checks keys against {@code pattern}, stocked with {@code keys}; an order of two, paid. */
  private static PaidOrder paidOrderOfTwo(String shopName, String pattern, List<String> keys) {
    Flows.Merchant shop = flows.stockMerchant(shopName);
    String sku = flows.sku(shop, Flows.shortPolicy(), Flows.formatValidator(pattern, "none"));
    flows.upload(shop, sku, keys);
    Flows.Session session = flows.checkout(shop, sku, 2);
    flows.pay(session, 2);
    return new PaidOrder(shop, session);
  }

  @Test
  void showsTheCheckoutSessionWithATokenThatPaysTheOrder() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Session shop", "SESSION-");
    Flows.Session session = placed.session();

    TestGateway.Response shown = flows.gw.get("/v1/checkout-sessions/" + session.id(), null);
    TestGateway.Response unknown = flows.gw.get("/v1/checkout-sessions/cs_aaaaaaaaaaaaaaaaaaaaaaaa", null);

    assertThat(shown.status()).isEqualTo(200);
    assertThat(shown.headers().get("cache-control")).isEqualTo("no-store");
    JsonObject json = shown.json();
    assertThat(json.getString("order_id")).isEqualTo(session.orderId());
    assertThat(json.getString("order_token")).isEqualTo(session.token());
    assertThat(json.getString("state")).isEqualTo("awaiting_payment");
    assertThat(json.getJsonObject("sku").getString("name")).isEqualTo("Game card");
    assertThat(json.getJsonObject("total").getLong("amount")).isEqualTo(Flows.PRICE);
    assertThat(unknown.status()).isEqualTo(404);
    String paymentId = flows.startPayment(session, Flows.PRICE);
    TestGateway.Response page = flows.gw.get("/sandbox/pay/" + paymentId, null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.contentType()).startsWith("text/html");
    assertThat(page.body()).contains(paymentId + "/confirm").contains(session.orderId());
    TestGateway.Response wrongToken = flows.gw.post("/v1/sandbox/payments", null, new JsonObject()
        .put("order_id", session.orderId()).put("order_token", "kht_wrong")
        .put("amount", new JsonObject().put("amount", Flows.PRICE).put("currency", Flows.CURRENCY)).encode());
    assertThat(wrongToken.status()).isEqualTo(404);
  }

  @Test
  void sendsTheBuyerBackToASameSitePathAfterTheSandboxPayment() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Return shop", "RETURN-");
    Flows.Session session = placed.session();
    String back = "/checkout/" + session.id();

    TestGateway.Response started = startWithReturn(session, back);
    TestGateway.Response confirmed = flows.gw.post("/v1/sandbox/payments/" + started.json().getString("payment_id")
        + "/confirm", null, "{}");

    assertThat(started.status()).isEqualTo(201);
    assertThat(confirmed.json().getString("return_url")).isEqualTo(back);
    assertThat(confirmed.json().getString("state")).isEqualTo("paid");
    for (String elsewhere : List.of("//evil.example/x", "https://evil.example/", "/\\evil.example", "checkout")) {
      TestGateway.Response refused = startWithReturn(session, elsewhere);
      assertThat(refused.problemCode()).as(elsewhere).isEqualTo("validation_failed");
      assertThat(refused.json().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("/return_url");
    }
  }

  @Test
  void queuesASandboxPaymentsNoticesOnceHoweverOftenItIsConfirmed() throws Exception {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Double-click shop", "TWICE-");
    Flows.Session session = placed.session();
    String paymentId = flows.startPayment(session, Flows.PRICE);
    String confirm = "/v1/sandbox/payments/" + paymentId + "/confirm";

    // Two at once (a double click), then a third after both answered.
    CompletableFuture<TestGateway.Response> first =
        CompletableFuture.supplyAsync(() -> flows.gw.post(confirm, null, "{}"));
    CompletableFuture<TestGateway.Response> second =
        CompletableFuture.supplyAsync(() -> flows.gw.post(confirm, null, "{}"));
    List<TestGateway.Response> answers = List.of(first.get(), second.get(), flows.gw.post(confirm, null, "{}"));

    assertThat(answers).allSatisfy(answer -> {
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.json().getString("state")).isEqualTo("paid");
    });
    assertThat(flows.gw.query("SELECT n->>'type' AS type FROM outbox o, jsonb_array_elements(o.payload->'notices') n"
        + " WHERE o.kind = 'sandbox_notice' AND o.idempotency_key LIKE $1", "sandbox/" + paymentId + "/%"))
        .as("notices queued once, in one row: pending, then succeeded").extracting(row -> row.getString("type"))
        .containsExactly("payment.pending", "payment.succeeded");
    flows.awaitState(placed.shop(), session.orderId(), "ready");
    assertThat(flows.balance("escrow:" + session.orderId())).isEqualTo(Flows.PRICE);
  }

  private static TestGateway.Response startWithReturn(Flows.Session session, String returnUrl) {
    return flows.gw.post("/v1/sandbox/payments", null, new JsonObject().put("order_id", session.orderId())
        .put("order_token", session.token()).put("return_url", returnUrl)
        .put("amount", new JsonObject().put("amount", Flows.PRICE).put("currency", Flows.CURRENCY)).encode());
  }

  @Test
  void signsEveryWebhookToTheShop() throws Exception {
    ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    HttpServer receiver = TestGateway.await(flows.gw.gateway().vertx().createHttpServer()
        .requestHandler(request -> request.body().onSuccess(body -> {
          received.add(new Received(request.getHeader(Signatures.HEADER), request.getHeader("Keyhold-Event-Id"), body));
          request.response().setStatusCode(204).end();
        }))
        .listen(0, "127.0.0.1"));
    try {
      Flows.Merchant shop = flows.merchant("Webhook shop", null,
          "http://127.0.0.1:" + receiver.actualPort() + "/hooks");
      String sku = flows.sku(shop, Flows.shortPolicy(), null);
      flows.upload(shop, sku, List.of("HOOK-" + UUID.randomUUID()));
      Flows.Session session = flows.checkout(shop, sku, 1);
      flows.pay(session, 1);
      flows.awaitState(shop, session.orderId(), "ready");
      flows.awaitTrue("webhooks sent", "SELECT count(*) = 0 FROM outbox WHERE order_id = $1 AND kind = 'notify'"
          + " AND state <> 'done'", session.orderId());

      Signatures check = Signatures.builder().secret(shop.webhookSecret()).clock(flows.clock).build();
      assertThat(received).extracting(r -> r.body().toJsonObject().getString("type"))
          .contains("order.funded", "order.ready");
      for (Received hook : received) {
        assertThat(check.verify(hook.signature(), hook.body()).isValid()).isTrue();
        assertThat(hook.body().toJsonObject().getString("id")).isEqualTo(hook.eventId());
        assertThat(hook.body().toJsonObject().getJsonObject("order").getString("id")).isEqualTo(session.orderId());
      }
    } finally {
      TestGateway.await(receiver.close());
    }
  }

  record Received(String signature, String eventId, Buffer body) {}

  @Test
  void listsTheShopsOrdersPageByPage() {
    Flows.Merchant shop = flows.stockMerchant("Listing shop");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, List.of("L1-" + UUID.randomUUID(), "L2-" + UUID.randomUUID(), "L3-" + UUID.randomUUID()));
    String first = flows.checkout(shop, sku, 1).orderId();
    String second = flows.checkout(shop, sku, 1).orderId();
    String third = flows.checkout(shop, sku, 1).orderId();

    JsonObject page1 = flows.gw.get("/v1/orders?limit=2", shop.apiKey()).json();
    JsonObject page2 = flows.gw.get("/v1/orders?limit=2&cursor=" + page1.getString("next_cursor"), shop.apiKey())
        .json();
    TestGateway.Response badCursor = flows.gw.get("/v1/orders?cursor=nonsense", shop.apiKey());

    assertThat(ids(page1.getJsonArray("items"))).containsExactly(third, second);
    assertThat(ids(page2.getJsonArray("items"))).containsExactly(first);
    assertThat(page2.getString("next_cursor")).isNull();
    assertThat(badCursor.status()).isEqualTo(400);
    assertThat(flows.gw.get("/v1/orders?state=released", shop.apiKey()).json().getJsonArray("items")).isEmpty();
  }

  @Test
  void refusesPushedKeysForUnitsTheOrderDoesNotHave() {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Pushy shop", "P-");
    Flows.Session session = placed.session();
    String path = "/v1/orders/" + session.orderId() + "/deliveries";
    String apiKey = placed.shop().apiKey();

    TestGateway.Response outside = flows.gw.post(path, apiKey, new JsonObject().put("units", new JsonArray()
        .add(new JsonObject().put("index", 3).put("key", "K-" + UUID.randomUUID()))).encode());
    TestGateway.Response twice = flows.gw.post(path, apiKey, new JsonObject().put("units", new JsonArray()
        .add(new JsonObject().put("index", 0).put("key", "A-" + UUID.randomUUID()))
        .add(new JsonObject().put("index", 0).put("key", "B-" + UUID.randomUUID()))).encode());
    TestGateway.Response unpaid = flows.gw.post(path, apiKey, new JsonObject().put("units", new JsonArray()
        .add(new JsonObject().put("index", 0).put("key", "C-" + UUID.randomUUID()))).encode());

    assertThat(outside.problemCode()).isEqualTo("unknown_unit");
    assertThat(twice.problemCode()).isEqualTo("validation_failed");
    assertThat(unpaid.problemCode()).isEqualTo("state_does_not_allow");
    assertThat(flows.gw.query("SELECT count(*) FROM delivered_keys WHERE order_id = $1", session.orderId())
        .get(0).getLong(0)).isZero();
  }

  private static List<String> ids(JsonArray items) {
    return items.stream().map(item -> ((JsonObject) item).getString("id")).toList();
  }
}
