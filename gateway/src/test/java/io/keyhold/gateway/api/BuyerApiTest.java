package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.EvidenceType;
import io.keyhold.escrow.RejectionCode;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The buyer API over real HTTP against a real PostgreSQL, with orders bought through the real flows. */
class BuyerApiTest {
  static TestGateway gw;
  static Purchases purchases;
  static Purchases.Shop shop;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    purchases = new Purchases(gw);
    shop = purchases.stockShop(40, null);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void refusesAWrongTokenOnEveryBuyerEndpoint() {
    Purchases.Purchase mine = purchases.readyOrder(shop, 1);
    Purchases.Purchase other = purchases.checkout(shop, 1);
    // The right token first: the order's token hash is then kept in memory, and must refuse wrong tokens still.
    assertThat(purchases.get(mine).json().getString("state")).isEqualTo("ready");
    long eventsBefore = count("evidence_events");
    List<String> gets = List.of("", "/events", "/evidence");
    List<String> posts = List.of("/reveal", "/confirm", "/cancel", "/disputes");
    for (String token : List.of("kht_" + "x".repeat(43), other.token())) {
      for (String suffix : gets) {
        TestGateway.Response response = gw.get(mine.path(suffix), token);
        assertThat(response.status()).as("GET %s with a wrong token", suffix).isEqualTo(404);
        assertThat(response.problemCode()).isEqualTo("not_found");
      }
      for (String suffix : posts) {
        String body = suffix.equals("/disputes") ? "{\"reason\":\"other\",\"text\":\"x\"}" : "{}";
        TestGateway.Response response = gw.post(mine.path(suffix), token, body);
        assertThat(response.status()).as("POST %s with a wrong token", suffix).isEqualTo(404);
        assertThat(response.problemCode()).isEqualTo("not_found");
      }
      assertThat(gw.get(mine.path("") + "?t=" + token, null).status()).isEqualTo(404);
    }
    for (String suffix : gets) {
      TestGateway.Response response = gw.get(mine.path(suffix), null);
      assertThat(response.status()).as("GET %s without a token", suffix).isEqualTo(401);
      assertThat(response.problemCode()).isEqualTo("unauthenticated");
    }
    assertThat(gw.post(mine.path("/reveal"), null, "{}").status()).isEqualTo(401);
    assertThat(count("evidence_events")).isEqualTo(eventsBefore);
    assertThat(purchases.get(mine).json().getString("state")).isEqualTo("ready");
  }

  @Test
  void knowsTheTokenOfAnOrderPlacedHereWithoutReadingItBackToShowOrPayIt() {
    Purchases.Purchase placed = purchases.checkout(shop, 1);
    // The stored hash no longer matches: only a token kept when the order was placed lets the buyer in.
    gw.query("UPDATE orders SET token_hash = sha256('not the buyer''s token'::bytea) WHERE id = $1", placed.orderId());

    JsonObject order = purchases.get(placed).json();
    assertThat(order.getString("state")).isEqualTo("awaiting_payment");
    // The pay step checks the token the same way, and pays what the kept order costs.
    purchases.pay(placed);
    assertThat(purchases.awaitState(placed, "ready").getJsonObject("total")).isEqualTo(order.getJsonObject("total"));
    TestGateway.Response wrong = gw.get(placed.path(""), "kht_" + "x".repeat(43));
    assertThat(wrong.status()).isEqualTo(404);
    assertThat(wrong.problemCode()).isEqualTo("not_found");
  }

  @Test
  void theTimelineListsTheOrdersEvidenceOldestFirstWithUnitsMerged() {
    Purchases.Purchase purchase = purchases.readyOrder(shop, 2);
    JsonArray timeline = purchases.get(purchase).json().getJsonArray("timeline");
    JsonArray events = gw.get(purchase.path("/evidence"), purchase.token()).json().getJsonObject("bundle")
        .getJsonArray("events");

    // Each evidence event appears in order and at its own instant; unit events of one type and instant
    // are one entry naming their units.
    List<String> fromEvidence = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      JsonObject event = events.getJsonObject(i);
      String type = timelineName(event.getString("type"));
      String entry = type + "@" + event.getString("at");
      if (fromEvidence.isEmpty() || !fromEvidence.get(fromEvidence.size() - 1).equals(entry)) {
        fromEvidence.add(entry);
      }
    }
    List<String> shown = new ArrayList<>();
    for (int i = 0; i < timeline.size(); i++) {
      shown.add(timeline.getJsonObject(i).getString("type") + "@" + timeline.getJsonObject(i).getString("at"));
    }
    assertThat(shown).containsExactlyElementsOf(fromEvidence);
    assertThat(shown.get(0)).startsWith("order.placed@");
    JsonObject delivered = timeline.stream().map(JsonObject.class::cast)
        .filter(entry -> entry.getString("type").equals("keys.delivered")).findFirst().orElseThrow();
    assertThat(delivered.getJsonArray("units")).containsExactly(0, 1);
  }

  /** The timeline's names for two evidence types (docs/order-life.md); the rest keep their evidence code. */
  private static String timelineName(String evidenceType) {
    if (evidenceType.equals(EvidenceType.UNIT_KEY_DELIVERED.code())) {
      return "keys.delivered";
    }
    return evidenceType.equals(EvidenceType.UNIT_REPLACEMENT_REQUESTED.code()) ? "resupply.requested" : evidenceType;
  }

  @Test
  void keysStaySealedUntilTheRevealAndAppearOnlyAfterIt() {
    Purchases.Purchase purchase = purchases.readyOrder(shop, 2);

    JsonObject ready = purchases.get(purchase).json();
    assertThat(ready.getJsonArray("units")).allSatisfy(unit -> {
      assertThat(((JsonObject) unit).getValue("key")).isNull();
      assertThat(((JsonObject) unit).getBoolean("sealed")).isTrue();
    });
    assertThat(ready.getJsonObject("actions").getMap())
        .containsEntry("reveal", true).containsEntry("cancel", true)
        .containsEntry("confirm", false).containsEntry("dispute", false);
    assertThat(purchases.act(purchase, "confirm").problemCode()).isEqualTo("not_revealed");
    assertThat(gw.post(purchase.path("/disputes"), purchase.token(), "{\"reason\":\"key_invalid\",\"text\":\"no\"}")
        .problemCode()).isEqualTo("not_revealed");

    TestGateway.Response revealed = purchases.act(purchase, "reveal");
    assertThat(revealed.status()).isEqualTo(200);
    assertThat(revealed.json().getString("state")).isEqualTo("inspection");
    List<String> keys = new ArrayList<>();
    revealed.json().getJsonArray("units").forEach(unit -> keys.add(((JsonObject) unit).getString("key")));
    assertThat(keys).hasSize(2).doesNotContainNull().doesNotHaveDuplicates();
    assertThat(shop.keys()).containsAll(keys);
    assertThat(purchases.get(purchase).json().getJsonArray("units").getJsonObject(0).getString("key"))
        .isEqualTo(keys.get(0));

    assertThat(purchases.act(purchase, "cancel").problemCode()).isEqualTo("already_revealed");
    TestGateway.Response confirmed = purchases.act(purchase, "confirm");
    assertThat(confirmed.status()).isEqualTo(200);
    assertThat(confirmed.json().getString("state")).isEqualTo("released");
    assertThat(confirmed.json().getJsonObject("released").getLong("amount")).isEqualTo(2000L);
    TestGateway.Response again = purchases.act(purchase, "confirm");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().getString("state")).isEqualTo("released");
    assertThat(again.json().getLong("version")).isEqualTo(confirmed.json().getLong("version"));
  }

  @Test
  void cancelBeforeTheRevealRefundsInFullAndNeverShowsTheKey() {
    Purchases.Purchase purchase = purchases.readyOrder(shop, 1);
    TestGateway.Response cancelled = purchases.act(purchase, "cancel");
    assertThat(cancelled.status()).isEqualTo(200);
    assertThat(cancelled.json().getString("state")).isEqualTo("refunded");
    assertThat(cancelled.json().getJsonObject("refunded").getLong("amount")).isEqualTo(1000L);
    assertThat(cancelled.json().getJsonObject("refunded").getString("currency")).isEqualTo("CNY");
    assertThat(cancelled.json().getJsonArray("units").getJsonObject(0).getValue("key")).isNull();
    assertThat(purchases.act(purchase, "reveal").problemCode()).isEqualTo("state_does_not_allow");
    assertThat(purchases.get(purchase).json().getJsonArray("units").getJsonObject(0).getValue("key")).isNull();
  }

  @Test
  void aBuyerCannotActBeforePaying() {
    Purchases.Purchase unpaid = purchases.checkout(shop, 1);
    assertThat(purchases.act(unpaid, "reveal").problemCode()).isEqualTo("keys_not_ready");
    assertThat(purchases.act(unpaid, "cancel").problemCode()).isEqualTo("not_funded");
    assertThat(purchases.get(unpaid).json().getJsonObject("actions").getMap())
        .containsEntry("reveal", false).containsEntry("cancel", false);
  }

  @Test
  void aDisputeIsOpenedOnceWithinTheInspectionWindow() {
    Purchases.Purchase purchase = purchases.readyOrder(shop, 1);
    purchases.act(purchase, "reveal");
    String path = purchase.path("/disputes");
    assertThat(gw.post(path, purchase.token(), "{\"reason\":\"stolen\",\"text\":\"x\"}").problemCode())
        .isEqualTo("validation_failed");
    assertThat(gw.post(path, purchase.token(), new JsonObject().put("reason", "other").put("text", "x".repeat(2001))
        .encode()).problemCode()).isEqualTo("validation_failed");
    assertThat(gw.post(path, purchase.token(), "{\"reason\":\"other\"}").problemCode()).isEqualTo("validation_failed");

    TestGateway.Response opened = gw.post(path, purchase.token(),
        "{\"reason\":\"key_already_used\",\"text\":\"The shop says it was redeemed before I got it\"}");
    assertThat(opened.status()).isEqualTo(200);
    assertThat(opened.json().getString("state")).isEqualTo("disputed");
    assertThat(opened.json().getJsonObject("dispute").getString("reason")).isEqualTo("key_already_used");
    assertThat(opened.json().getJsonObject("actions").getBoolean("dispute")).isFalse();
    assertThat(gw.post(path, purchase.token(), "{\"reason\":\"wrong_item\",\"text\":\"other\"}").problemCode())
        .isEqualTo("dispute_already_open");
    assertThat(purchases.act(purchase, "confirm").problemCode()).isEqualTo("state_does_not_allow");
  }

  @Test
  void everyBuyerAnswerForbidsCaching() {
    Purchases.Purchase purchase = purchases.readyOrder(shop, 1);
    assertThat(purchases.get(purchase).headers()).containsEntry("cache-control", "no-store");
    assertThat(purchases.act(purchase, "confirm").headers()).containsEntry("cache-control", "no-store");
    assertThat(gw.get(purchase.path(""), "kht_wrong").headers()).containsEntry("cache-control", "no-store");
    assertThat(purchases.act(purchase, "reveal").headers()).containsEntry("cache-control", "no-store");
    assertThat(gw.get(purchase.path("/evidence"), purchase.token()).headers())
        .containsEntry("cache-control", "no-store");
    assertThat(gw.get("/orders/" + purchase.orderId() + "?t=" + purchase.token(), null).headers())
        .containsEntry("cache-control", "no-store")
        .containsEntry("referrer-policy", "no-referrer");
  }

  @Test
  void theEventStreamDeliversTheOrderAndEveryChangeWithoutKeys() throws Exception {
    Purchases.Purchase purchase = purchases.readyOrder(shop, 1);
    try (EventStream stream = EventStream.open(gw.baseUrl() + purchase.path("/events") + "?t=" + purchase.token())) {
      assertThat(stream.status()).isEqualTo(200);
      assertThat(stream.header("content-type")).startsWith("text/event-stream");
      assertThat(stream.header("cache-control")).isEqualTo("no-store");
      JsonObject first = stream.next(Duration.ofSeconds(10));
      assertThat(first).as("the first event").isNotNull();
      assertThat(first.getString("state")).isEqualTo("ready");
      // The order's view, its server time put first.
      assertThat(first.fieldNames().iterator().next()).isEqualTo("server_time");
      assertThat(first.getString("server_time")).isNotBlank();
      assertThat(first.fieldNames()).containsExactlyInAnyOrderElementsOf(
          gw.get(purchase.path(""), purchase.token()).json().fieldNames());

      assertThat(purchases.act(purchase, "reveal").status()).isEqualTo(200);
      JsonObject change = stream.next(Duration.ofSeconds(10));
      assertThat(change).as("the event after the reveal").isNotNull();
      assertThat(change.getString("state")).isEqualTo("inspection");
      assertThat(change.getLong("version")).isGreaterThan(first.getLong("version"));
      assertThat(change.getJsonArray("units").getJsonObject(0).getValue("key")).isNull();
      assertThat(change.encode()).doesNotContain(shop.keys().toArray(new String[0]));
    }
  }

  @Test
  void limitsTheLiveStreamsOfOneOrder() throws Exception {
    Purchases.Purchase purchase = purchases.readyOrder(shop, 1);
    String url = gw.baseUrl() + purchase.path("/events") + "?t=" + purchase.token();
    List<EventStream> open = new ArrayList<>();
    try {
      for (int i = 0; i < OrderStreams.STREAMS_PER_ORDER_MAX; i++) {
        EventStream stream = EventStream.open(url);
        open.add(stream);
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.next(Duration.ofSeconds(10))).isNotNull();
      }
      TestGateway.Response refused = gw.get(purchase.path("/events"), purchase.token());
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.problemCode()).isEqualTo("too_many_streams");
      assertThat(refused.headers()).containsKey("retry-after");
    } finally {
      open.forEach(EventStream::close);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (gw.gateway().buyerSide().streams().openStreams() > 0 && System.nanoTime() < deadline) {
      Purchases.sleep(20);
    }
    assertThat(gw.gateway().buyerSide().streams().openStreams()).as("streams left open").isZero();
  }

  @Test
  void everyRejectionOfAnOrderHasAProblemCode() {
    for (RejectionCode rejection : RejectionCode.values()) {
      ProblemCode problem = ProblemCode.forRejection(rejection);
      assertThat(problem.code()).isEqualTo(rejection.code());
      assertThat(problem.status()).isBetween(400, 499);
    }
  }

  private static long count(String table) {
    return gw.query("SELECT count(*) FROM " + table).get(0).getLong(0);
  }
}
