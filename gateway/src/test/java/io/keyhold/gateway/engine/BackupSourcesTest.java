package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.Faults;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A SKU's backup sources (issue 14), over real HTTP and PostgreSQL: remote shops (reference merchants) that stop
 * delivering or whose keys cannot be judged, consignment stock as the backup, the operator linking them, a clock
 * the tests move over the deadlines, and the ledger audit after each.
 */
class BackupSourcesTest {
  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
  }

  @AfterAll
  static void auditTheLedgerAndStop() throws Exception {
    try {
      assertAuditPasses();
      assertThat(flows.unbalancedTransactions()).isZero();
    } finally {
      flows.close();
    }
  }

  @Test
  void deliversFromTheBackupWhenThePrimaryNeverDeliversAndPaysTheBackup() {
    Flows.HttpShop primary = flows.httpShop("Silent primary", 5, noResupply(), null);
    Flows.Merchant backup = flows.stockMerchant("Backup stock");
    String backupSku = flows.sku(backup, Flows.shortPolicy(), null);
    flows.upload(backup, backupSku, List.of("BACKUP-KEY-0001"));
    assertThat(link(primary.skuId(), backupSku).status()).isEqualTo(200);
    Flows.Session session = buyAndStopDelivering(primary);

    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(primary.merchant(), session.orderId(), "ready");

    assertThat(flows.evidenceTypes(session.orderId())).contains("unit.source_switched").doesNotContain(
        "order.refunded", "order.partially_refunded", "units.refunded");
    JsonObject switched = flows.gw.query("SELECT data FROM evidence_events WHERE order_id = $1"
        + " AND type = 'unit.source_switched'", session.orderId()).get(0).getJsonObject(0);
    assertThat(switched.getString("to")).isEqualTo(backup.id() + "/" + backupSku);
    assertThat(switched.getString("from")).isEqualTo(primary.merchant().id() + "/" + primary.skuId());
    assertThat(flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/reveal"), session.token(), "{}").status())
        .isEqualTo(200);
    TestGateway.Response confirmed =
        flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/confirm"), session.token(), "{}");
    assertThat(confirmed.status()).as(confirmed.toString()).isEqualTo(200);
    flows.awaitState(primary.merchant(), session.orderId(), "released");

    assertThat(flows.balance("merchant:" + backup.id() + ":payable")).isEqualTo(975);
    assertThat(flows.balance("merchant:" + primary.merchant().id() + ":payable")).isZero();
    assertThat(flows.gw.query("SELECT count(*) FROM refunds WHERE order_id = $1", session.orderId()).get(0).getLong(0))
        .isZero();
    assertAuditPasses();
  }

  @Test
  void neverDeliversAKeyTheBuyerAlreadyGotFromThePrimaryViaTheBackup() {
    // Two shops started from one seed hold the same keys: the backup's first key is the one the primary sold.
    Flows.HttpShop backup = flows.httpShop("Backup with a leaked key", 2, Flows.shortPolicy(), null);
    Flows.HttpShop primary = flows.httpShop("Primary", 1, noResupply(), Flows::issuerOnly, backup.seed());
    assertThat(link(primary.skuId(), backup.skuId()).status()).isEqualTo(200);
    // The primary's key was already used: its issuer says redeemed, and the unit moves to the backup at once.
    primary.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("redeemed_key_rate", 1.0)));
    Flows.Session session = flows.checkout(primary.merchant(), primary.skuId(), 1);
    flows.pay(session, 1);

    JsonObject refunded = flows.awaitState(primary.merchant(), session.orderId(), "refunded");

    List<Row> keys = flows.gw.query("SELECT encode(fingerprint, 'hex'), duplicate, supplier FROM delivered_keys"
        + " WHERE order_id = $1 ORDER BY created_at, key_ref", session.orderId());
    assertThat(keys).hasSize(2);
    assertThat(keys.get(1).getString(0)).as("the backup offered the primary's key").isEqualTo(keys.get(0).getString(0));
    assertThat(keys.get(1).getBoolean(1)).as("refused as a duplicate").isTrue();
    assertThat(keys.get(1).getString(2)).isEqualTo(backup.merchant().id() + "/" + backup.skuId());
    assertThat(flows.evidenceTypes(session.orderId())).containsSubsequence("unit.checked", "unit.source_switched",
        "unit.key_delivered", "unit.duplicate_key", "order.refunded");
    assertThat(refunded.getJsonObject("refunded").getLong("amount")).isEqualTo(Flows.PRICE);
    assertThat(flows.balance("merchant:" + backup.merchant().id() + ":payable")).isZero();
    assertAuditPasses();
  }

  @Test
  void takesTheBackupsNextKeyWhenItOffersOneThePrimarySoldToAnotherBuyer() {
    Flows.HttpShop backup = flows.httpShop("Backup reselling", 3, Flows.shortPolicy(), null);
    JsonObject oneReplacement = Flows.shortPolicy().put("max_resupply_attempts", 1);
    Flows.HttpShop primary = flows.httpShop("Primary that sold it", 2, oneReplacement, null, backup.seed());
    assertThat(link(primary.skuId(), backup.skuId()).status()).isEqualTo(200);
    Flows.Session first = flows.checkout(primary.merchant(), primary.skuId(), 1);
    flows.pay(first, 1);
    flows.awaitState(primary.merchant(), first.orderId(), "ready");
    Flows.Session second = buyAndStopDelivering(primary);

    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(primary.merchant(), second.orderId(), "resupplying");
    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(primary.merchant(), second.orderId(), "ready");

    List<Row> keys = flows.gw.query("SELECT encode(fingerprint, 'hex'), duplicate FROM delivered_keys"
        + " WHERE order_id = $1 ORDER BY created_at, key_ref", second.orderId());
    String soldBefore = flows.gw.query("SELECT encode(fingerprint, 'hex') FROM delivered_keys WHERE order_id = $1",
        first.orderId()).get(0).getString(0);
    assertThat(keys).hasSize(2);
    assertThat(keys.get(0).getString(0)).as("the backup offered the key the first buyer got").isEqualTo(soldBefore);
    assertThat(keys.get(0).getBoolean(1)).isTrue();
    assertThat(keys.get(1).getBoolean(1)).isFalse();
    assertThat(flows.evidenceTypes(second.orderId())).containsSubsequence("unit.source_switched",
        "unit.duplicate_key", "unit.replacement_requested", "order.ready");
    assertAuditPasses();
  }

  @Test
  void refundsOnlyWhenEverySourceFailed() {
    // The SKU's compensation is owed by its own merchant once the last source's window closed on the unit.
    Flows.HttpShop primary = flows.httpShop("Silent again", 5, noResupply().put("compensation",
        new JsonObject().put("basis", "fixed").put("value", 100)), null);
    Flows.Merchant empty = flows.stockMerchant("Empty backup");
    String emptySku = flows.sku(empty, Flows.shortPolicy(), null);
    assertThat(link(primary.skuId(), emptySku).status()).isEqualTo(200);
    Flows.Session session = buyAndStopDelivering(primary);

    flows.advance(Duration.ofSeconds(11));
    flows.awaitTrue("the unit moved to the backup", "SELECT count(*) = 1 FROM evidence_events WHERE order_id = $1"
        + " AND type = 'unit.source_switched'", session.orderId());
    assertThat(flows.order(primary.merchant(), session.orderId()).getString("state")).isEqualTo("resupplying");
    assertThat(flows.evidenceTypes(session.orderId())).doesNotContain("order.refunded");

    flows.advance(Duration.ofSeconds(11));
    JsonObject refunded = flows.awaitState(primary.merchant(), session.orderId(), "refunded");

    assertThat(refunded.getJsonObject("refunded").getLong("amount")).isEqualTo(Flows.PRICE);
    assertThat(flows.evidenceTypes(session.orderId())).containsSubsequence("unit.source_switched", "order.refunded");
    assertThat(flows.balance("escrow:" + session.orderId())).isZero();
    JsonObject compensated = flows.gw.query("SELECT data FROM evidence_events WHERE order_id = $1"
        + " AND type = 'order.compensated' AND data->>'cause' = 'resupply_refunded'", session.orderId())
        .get(0).getJsonObject(0);
    JsonObject switched = flows.gw.query("SELECT data FROM evidence_events WHERE order_id = $1"
        + " AND type = 'unit.source_switched'", session.orderId()).get(0).getJsonObject(0);
    assertThat(compensated.getString("deadline")).as("the backup's own window").isEqualTo(switched.getString("resupply_by"));
    assertAuditPasses();
  }

  @Test
  void givesAnUnseenBackupKeyBackToTheBackupsStockWhenTheBuyerCancels() {
    Flows.HttpShop primary = flows.httpShop("Silent before a cancel", 5, noResupply(), null);
    Flows.Merchant backup = flows.stockMerchant("Backup stock, cancelled");
    String backupSku = flows.sku(backup, Flows.shortPolicy(), null);
    flows.upload(backup, backupSku, List.of("BACKUP-KEY-CANCEL"));
    assertThat(link(primary.skuId(), backupSku).status()).isEqualTo(200);
    Flows.Session session = buyAndStopDelivering(primary);
    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(primary.merchant(), session.orderId(), "ready");
    assertThat(freeKeys(backup, backupSku)).isZero();

    TestGateway.Response cancelled =
        flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/cancel"), session.token(), "{}");

    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    flows.awaitTrue("the backup's key is free again", "SELECT count(*) = 1 FROM stock_keys WHERE merchant_id = $1"
        + " AND sku_id = $2 AND state = 'available'", backup.id(), backupSku);
    assertThat(flows.gw.query("SELECT count(*) FROM stock_deliveries WHERE merchant_id = $1 AND order_ref = $2",
        backup.id(), session.orderId()).get(0).getLong(0)).isZero();
    assertAuditPasses();
  }

  @Test
  void refusesAKeyThePrimaryPushesForAUnitABackupSuppliesNow() {
    Flows.HttpShop primary = flows.httpShop("Late pusher", 5, noResupply(), null);
    Flows.Merchant empty = flows.stockMerchant("Backup not yet stocked");
    String emptySku = flows.sku(empty, Flows.shortPolicy(), null);
    assertThat(link(primary.skuId(), emptySku).status()).isEqualTo(200);
    Flows.Session session = buyAndStopDelivering(primary);
    flows.advance(Duration.ofSeconds(11));
    flows.awaitTrue("the unit moved to the backup", "SELECT count(*) = 1 FROM evidence_events WHERE order_id = $1"
        + " AND type = 'unit.source_switched'", session.orderId());

    TestGateway.Response pushed = flows.gw.post("/v1/orders/" + session.orderId() + "/deliveries",
        primary.merchant().apiKey(), new JsonObject().put("units", new JsonArray()
            .add(new JsonObject().put("index", 0).put("key", "LATE-PRIMARY-KEY-1"))).encode());

    assertThat(pushed.status()).as(pushed.toString()).isEqualTo(409);
    assertThat(pushed.json().getString("code")).isEqualTo("state_does_not_allow");
    assertThat(flows.gw.query("SELECT count(*) FROM delivered_keys WHERE order_id = $1", session.orderId())
        .get(0).getLong(0)).isZero();
    flows.advance(Duration.ofSeconds(11));
    flows.awaitState(primary.merchant(), session.orderId(), "refunded");
    assertAuditPasses();
  }

  @Test
  void refusesABackupInAnotherCurrencyOrDearerThanTheSku() {
    Flows.Merchant shop = flows.stockMerchant("Linked shop");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    Flows.Merchant other = flows.stockMerchant("Dear shop");
    String dearer = flows.gw.createSku(new TestGateway.Merchant(other.id(), other.apiKey(), other.webhookSecret()),
        new JsonObject().put("name", "Dear card").put("price", Flows.PRICE + 1).put("currency", Flows.CURRENCY)
            .put("policy", Flows.shortPolicy()));

    TestGateway.Response refused = link(sku, dearer);
    TestGateway.Response itself = link(sku, sku);

    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.json().getString("code")).isEqualTo("backup_source_unfit");
    assertThat(itself.status()).isEqualTo(409);
    assertThat(flows.gw.query("SELECT count(*) FROM sku_backup_sources WHERE sku_id = $1", sku).get(0).getLong(0))
        .isZero();
    TestGateway.Response listed = flows.gw.get("/admin/v1/skus/" + sku + "/backup-sources", flows.gw.adminToken());
    assertThat(listed.json().getJsonArray("sources")).isEmpty();
  }

  // ---- helpers

  /** The short deadlines, and no replacement from the SKU's own merchant: a failure goes to the backup at once. */
  private static JsonObject noResupply() {
    return Flows.shortPolicy().put("max_resupply_attempts", 0);
  }

  private static TestGateway.Response link(String skuId, String... backups) {
    JsonArray sources = new JsonArray();
    for (String backup : backups) {
      sources.add(new JsonObject().put("sku_id", backup));
    }
    return flows.gw.post("/admin/v1/skus/" + skuId + "/backup-sources", flows.gw.adminToken(),
        new JsonObject().put("sources", sources).encode(), "Idempotency-Key", UUID.randomUUID().toString());
  }

  /** A checkout and its payment, after which every call to the shop fails: it never delivers. */
  private static Flows.Session buyAndStopDelivering(Flows.HttpShop shop) {
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 1);
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("error_rate", 1.0)));
    flows.pay(session, 1);
    flows.awaitState(shop.merchant(), session.orderId(), "funded");
    return session;
  }

  private static long freeKeys(Flows.Merchant merchant, String skuId) {
    return flows.gw.query("SELECT count(*) FROM stock_keys WHERE merchant_id = $1 AND sku_id = $2"
        + " AND state = 'available'", merchant.id(), skuId).get(0).getLong(0);
  }

  private static void assertAuditPasses() {
    JsonObject audit = flows.gw.get("/admin/v1/audit", flows.gw.adminToken()).json();
    assertThat(audit.getBoolean("ok")).as(audit.encodePrettily()).isTrue();
  }
}
