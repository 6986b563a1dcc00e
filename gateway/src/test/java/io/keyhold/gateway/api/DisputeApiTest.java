package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.engine.Disputes;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Disputes from the buyer's report to the arbiter's decision, over HTTP. */
class DisputeApiTest {
  static TestGateway gw;
  static Purchases purchases;
  static Purchases.Shop shop;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    purchases = new Purchases(gw);
    shop = purchases.stockShop(20, null);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  private Purchases.Purchase disputed(int quantity) {
    Purchases.Purchase purchase = purchases.readyOrder(shop, quantity);
    assertThat(purchases.act(purchase, "reveal").status()).isEqualTo(200);
    TestGateway.Response opened = gw.post(purchase.path("/disputes"), purchase.token(),
        "{\"reason\":\"key_invalid\",\"text\":\"The second key is rejected by the game\"}");
    assertThat(opened.json().getString("state")).isEqualTo("disputed");
    return purchase;
  }

  private TestGateway.Response decide(Purchases.Purchase purchase, String body) {
    return gw.post("/admin/v1/disputes/" + Disputes.disputeId(purchase.orderId()) + "/decision", gw.adminToken(), body);
  }

  @Test
  void anArbiterSplitsADisputePerUnit() {
    Purchases.Purchase purchase = disputed(3);
    JsonArray open = gw.get("/admin/v1/disputes?state=open", gw.adminToken()).json().getJsonArray("items");
    JsonObject listed = open.stream().map(JsonObject.class::cast)
        .filter(item -> item.getString("order_id").equals(purchase.orderId())).findFirst().orElseThrow();
    assertThat(listed.getString("id")).isEqualTo(Disputes.disputeId(purchase.orderId()));
    assertThat(listed.getString("reason")).isEqualTo("key_invalid");
    assertThat(listed.getString("text")).isEqualTo("The second key is rejected by the game");
    assertThat(listed.getString("state")).isEqualTo("open");

    TestGateway.Response decided = decide(purchase, "{\"award\":\"split\",\"units\":[{\"index\":0,\"award\":\"release\"},"
        + "{\"index\":1,\"award\":\"refund\"},{\"index\":2,\"award\":\"release\"}]}");
    assertThat(decided.status()).as("%s", decided).isEqualTo(200);
    assertThat(decided.json().getString("state")).isEqualTo("decided");
    assertThat(decided.json().getJsonObject("awards").getMap())
        .containsEntry("0", "release").containsEntry("1", "refund").containsEntry("2", "release");
    assertThat(decided.json().getJsonObject("order").getString("state")).isEqualTo("partially_refunded");
    assertThat(decided.json().getJsonObject("order").getJsonArray("units").stream()
        .map(unit -> ((JsonObject) unit).getString("state")).toList())
        .containsExactly("released", "refunded", "released");

    JsonObject buyer = purchases.get(purchase).json();
    assertThat(buyer.getJsonObject("refunded").getLong("amount")).isEqualTo(1000L);
    assertThat(buyer.getJsonObject("released").getLong("amount")).isEqualTo(2000L);
    assertThat(buyer.getJsonObject("dispute").getString("decided_at")).isNotNull();
    assertThat(gw.query("SELECT coalesce(sum(amount_minor), 0) FROM ledger_postings WHERE order_id = $1"
        + " AND account = 'refunds:out'", purchase.orderId()).get(0).getLong(0)).isEqualTo(1000L);

    assertThat(decidedAfter(null)).contains(purchase.orderId());
    // A page after a cursor holds what comes after it, newest first: this dispute after a cursor just past it, not
    // after its own.
    OffsetDateTime changed = gw.query("SELECT updated_at FROM orders WHERE id = $1", purchase.orderId())
        .get(0).getOffsetDateTime("updated_at");
    assertThat(decidedAfter(Disputes.encodeCursor(changed.plusSeconds(1), purchase.orderId())))
        .contains(purchase.orderId());
    assertThat(decidedAfter(Disputes.encodeCursor(changed, purchase.orderId()))).doesNotContain(purchase.orderId());
    assertThat(gw.get("/admin/v1/audit", gw.adminToken()).json().getBoolean("ok")).isTrue();
  }

  @Test
  void aSplitMustNameEveryUnitOnce() {
    Purchases.Purchase purchase = disputed(2);
    long version = purchases.get(purchase).json().getLong("version");
    TestGateway.Response partial = decide(purchase, "{\"award\":\"split\",\"units\":[{\"index\":0,\"award\":\"refund\"}]}");
    assertThat(partial.status()).isEqualTo(422);
    assertThat(partial.problemCode()).isEqualTo("awards_do_not_match_units");
    for (String bad : List.of(
        "{\"award\":\"split\"}",
        "{\"award\":\"release\",\"units\":[{\"index\":0,\"award\":\"refund\"}]}",
        "{\"award\":\"split\",\"units\":[{\"index\":0,\"award\":\"refund\"},{\"index\":0,\"award\":\"release\"}]}",
        "{\"award\":\"split\",\"units\":[{\"index\":0,\"award\":\"keep\"},{\"index\":1,\"award\":\"refund\"}]}",
        "{\"award\":\"halve\"}")) {
      TestGateway.Response response = decide(purchase, bad);
      assertThat(response.status()).as(bad).isEqualTo(400);
      assertThat(response.problemCode()).as(bad).isEqualTo("validation_failed");
    }
    JsonObject after = purchases.get(purchase).json();
    assertThat(after.getString("state")).isEqualTo("disputed");
    assertThat(after.getLong("version")).isEqualTo(version);
  }

  @Test
  void aWholeOrderRefundIsFinalAndRepeatsTheSameAnswer() {
    Purchases.Purchase purchase = disputed(1);
    TestGateway.Response refund = decide(purchase, "{\"award\":\"refund\"}");
    assertThat(refund.status()).isEqualTo(200);
    assertThat(refund.json().getJsonObject("order").getString("state")).isEqualTo("refunded");
    TestGateway.Response again = decide(purchase, "{\"award\":\"refund\"}");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().getString("decided_at")).isEqualTo(refund.json().getString("decided_at"));
    assertThat(decide(purchase, "{\"award\":\"release\"}").problemCode()).isEqualTo("state_does_not_allow");
    assertThat(purchases.get(purchase).json().getJsonObject("refunded").getLong("amount")).isEqualTo(1000L);
  }

  @Test
  void onlyTheOperatorDecidesAndOnlyDisputesExist() {
    Purchases.Purchase undisputed = purchases.readyOrder(shop, 1);
    assertThat(decide(undisputed, "{\"award\":\"refund\"}").problemCode()).isEqualTo("not_found");
    String id = Disputes.disputeId(undisputed.orderId());
    assertThat(gw.post("/admin/v1/disputes/" + id + "/decision", undisputed.token(), "{\"award\":\"refund\"}")
        .status()).isEqualTo(401);
    assertThat(gw.post("/admin/v1/disputes/dsp_bad/decision", gw.adminToken(), "{\"award\":\"refund\"}")
        .problemCode()).isEqualTo("validation_failed");
    assertThat(gw.get("/admin/v1/disputes", null).status()).isEqualTo(401);
    assertThat(gw.get("/admin/v1/disputes?cursor=notacursor", gw.adminToken()).problemCode())
        .isEqualTo("validation_failed");
    assertThat(purchases.get(undisputed).json().getString("state")).isEqualTo("ready");
  }

  /** The order ids of the page of decided disputes after {@code cursor} (null: the first page). */
  private static List<String> decidedAfter(String cursor) {
    String after = cursor == null ? "" : "&cursor=" + cursor;
    return gw.get("/admin/v1/disputes?state=decided" + after, gw.adminToken()).json().getJsonArray("items")
        .stream().map(item -> ((JsonObject) item).getString("order_id")).toList();
  }
}
