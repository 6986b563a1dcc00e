package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.keyhold.gateway.testing.TestGateway.Merchant;
import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StockVaultTest {
  private static final int CONCURRENT_CLAIMS = 60;
  private static final int KEYS_PER_CLAIM = 3;
  private static TestGateway gw;
  private static StockVault vault;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    vault = gw.gateway().stock();
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  private static List<String> keys(String prefix, int count) {
    String run = UUID.randomUUID().toString().substring(0, 8).toUpperCase(Locale.ROOT);
    return IntStream.range(0, count).mapToObj(i -> prefix + "-" + run + "-" + String.format("%05d", i)).toList();
  }

  private static OffsetDateTime inMinutes(int minutes) {
    return OffsetDateTime.now(ZoneOffset.UTC).plusMinutes(minutes);
  }

  @Test
  void duplicateKeyFromTheSameMerchantIsRefused() {
    Merchant merchant = gw.createMerchant("Dup Shop");
    String sku = gw.createSku(merchant);
    List<String> first = keys("SAME", 3);
    assertThat(gw.uploadKeys(merchant, sku, first).status()).isEqualTo(201);
    long before = gw.rowCounts().get("stock_keys");

    Response again = gw.uploadKeys(merchant, sku, List.of("FRESH-" + UUID.randomUUID(), first.get(1)));

    assertThat(again.status()).isEqualTo(409);
    assertThat(again.problemCode()).isEqualTo("duplicate_key");
    assertThat(again.json().getJsonArray("positions").getList()).containsExactly(1);
    assertThat(gw.rowCounts().get("stock_keys")).as("nothing of a refused upload is stored").isEqualTo(before);
  }

  @Test
  void duplicateKeyAcrossMerchantsIsRefusedWithoutNamingTheHolder() {
    Merchant a = gw.createMerchant("First Holder");
    Merchant b = gw.createMerchant("Second Seller");
    String skuA = gw.createSku(a);
    String skuB = gw.createSku(b);
    String key = "abcd-" + UUID.randomUUID().toString().substring(0, 8) + "-wxyz";
    assertThat(gw.uploadKeys(a, skuA, List.of(key)).status()).isEqualTo(201);

    // The same key written differently: upper case, spaces for dashes.
    Response refused = gw.uploadKeys(b, skuB, List.of(key.toUpperCase(Locale.ROOT).replace('-', ' ')));

    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.problemCode()).isEqualTo("duplicate_key");
    assertThat(refused.body()).doesNotContain(a.id()).doesNotContain(skuA).doesNotContain("First Holder");
    assertThat(TestGateway.await(vault.counts(b.id(), skuB)).available()).isZero();
  }

  @Test
  void aKeyRepeatedInOneUploadIsRefused() {
    Merchant merchant = gw.createMerchant("Repeat Shop");
    String sku = gw.createSku(merchant);
    String key = "REPEAT-" + UUID.randomUUID();

    Response refused = gw.uploadKeys(merchant, sku, List.of(key, "OTHER-" + UUID.randomUUID(), key.toLowerCase(Locale.ROOT)));

    assertThat(refused.problemCode()).isEqualTo("duplicate_key");
    assertThat(refused.json().getJsonArray("positions").getList()).containsExactly(2);
  }

  @Test
  void noPlaintextKeyInAnyDatabaseColumnAfterUpload() {
    Merchant merchant = gw.createMerchant("Plain Shop");
    String sku = gw.createSku(merchant);
    List<String> uploaded = keys("PLAINTEXT", 50);
    assertThat(gw.uploadKeys(merchant, sku, uploaded).status()).isEqualTo(201);

    List<String> tables = gw.query("SELECT table_name FROM information_schema.tables"
        + " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'").stream().map(r -> r.getString(0)).toList();
    assertThat(tables).contains("stock_keys", "key_fingerprints", "idempotency_records", "merchants");
    StringBuilder dump = new StringBuilder();
    for (String table : tables) {
      for (Row row : gw.query("SELECT t::text FROM " + table + " t")) {
        dump.append(row.getString(0)).append('\n');
      }
    }
    String everything = dump.toString();
    String lower = everything.toLowerCase(Locale.ROOT);
    for (String key : uploaded) {
      String normalized = key.replace("-", "");
      assertThat(everything).doesNotContain(key).doesNotContain(normalized);
      // bytea columns print as hex: a key stored raw in one would show as its hex.
      assertThat(lower).doesNotContain(HexFormat.of().formatHex(normalized.getBytes(StandardCharsets.UTF_8)));
      assertThat(lower).doesNotContain(HexFormat.of().formatHex(key.getBytes(StandardCharsets.UTF_8)));
    }
    assertThat(TestGateway.await(vault.counts(merchant.id(), sku)).available()).isEqualTo(50);
  }

  @Test
  void concurrentClaimsNeverHandOutOneKeyTwice() {
    Merchant merchant = gw.createMerchant("Flash Sale Shop");
    String sku = gw.createSku(merchant);
    int stock = CONCURRENT_CLAIMS * KEYS_PER_CLAIM - 7;
    assertThat(gw.uploadKeys(merchant, sku, keys("FLASH", stock)).status()).isEqualTo(201);

    List<Future<List<Long>>> claims = new ArrayList<>();
    for (int i = 0; i < CONCURRENT_CLAIMS; i++) {
      claims.add(vault.reserve(merchant.id(), sku, KEYS_PER_CLAIM, "order-" + i, inMinutes(15)));
    }
    List<Long> handedOut = new ArrayList<>();
    int outOfStock = 0;
    for (Future<List<Long>> claim : claims) {
      try {
        handedOut.addAll(TestGateway.await(claim));
      } catch (StockVault.OutOfStockException e) {
        outOfStock++;
      }
    }

    assertThat(new HashSet<>(handedOut)).as("distinct keys").hasSameSizeAs(handedOut);
    assertThat(handedOut.size() % KEYS_PER_CLAIM).as("all or nothing per claim").isZero();
    assertThat(outOfStock).as("claims that found too few keys").isGreaterThanOrEqualTo(3);
    assertThat(handedOut.size()).isLessThanOrEqualTo(stock);
    StockVault.StockCounts counts = TestGateway.await(vault.counts(merchant.id(), sku));
    assertThat(counts.reserved()).isEqualTo(handedOut.size());
    assertThat(counts.available() + counts.reserved()).isEqualTo(stock);
  }

  @Test
  void expiredReservationsGiveKeysBackAndReleasedOnesToo() {
    Merchant merchant = gw.createMerchant("Expiry Shop");
    String sku = gw.createSku(merchant);
    gw.uploadKeys(merchant, sku, keys("EXPIRE", 4));
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    List<Long> shortHold = TestGateway.await(vault.reserve(merchant.id(), sku, 2, "short", now.plusSeconds(30)));
    TestGateway.await(vault.reserve(merchant.id(), sku, 1, "long", now.plusHours(1)));

    List<StockVault.ReleasedKey> early = TestGateway.await(vault.releaseExpired(now, 100));
    List<StockVault.ReleasedKey> late = TestGateway.await(vault.releaseExpired(now.plusMinutes(1), 100));

    assertThat(early.stream().filter(k -> k.merchantId().equals(merchant.id()))).isEmpty();
    assertThat(late.stream().filter(k -> k.merchantId().equals(merchant.id())).map(StockVault.ReleasedKey::stockKeyId))
        .containsExactlyInAnyOrderElementsOf(shortHold);
    assertThat(late).allSatisfy(k -> assertThat(k.reservationRef()).isNotNull());
    assertThat(TestGateway.await(vault.counts(merchant.id(), sku))).isEqualTo(new StockVault.StockCounts(3, 1, 0));

    long released = TestGateway.await(vault.cancel(gw.gateway().pool(), merchant.id(), "long")).released();
    assertThat(released).isEqualTo(1);
    assertThat(TestGateway.await(vault.counts(merchant.id(), sku)).available()).isEqualTo(4);
  }

  @Test
  void aShortClaimReservesNothingEvenOutsideATransaction() {
    Merchant merchant = gw.createMerchant("All Or Nothing Shop");
    String sku = gw.createSku(merchant);
    gw.uploadKeys(merchant, sku, keys("AON", 2));

    assertThatThrownBy(() -> TestGateway.await(vault.reserve(gw.gateway().pool(), merchant.id(), sku, 3, "three",
        inMinutes(5)))).isInstanceOf(StockVault.OutOfStockException.class);

    assertThat(TestGateway.await(vault.counts(merchant.id(), sku)).available()).isEqualTo(2);
    assertThat(TestGateway.await(vault.reserve(gw.gateway().pool(), merchant.id(), sku, 2, "two", inMinutes(5))))
        .hasSize(2);
    assertThat(TestGateway.await(vault.counts(merchant.id(), sku)).available()).isZero();
  }

  @Test
  void aShortClaimSaysWhatIsFreeWhatOrdersAwaitingPaymentHoldAndTheFirstPayDeadline() {
    Merchant merchant = gw.createMerchant("Held Keys Shop");
    String sku = gw.createSku(merchant);
    gw.uploadKeys(merchant, sku, keys("HELD", 4));
    TestGateway.Session first = gw.checkout(merchant.apiKey(), sku, 2);
    gw.checkout(merchant.apiKey(), sku, 1);
    Instant firstPayDeadline = Instant.parse(first.json().getString("expires_at"));

    Throwable shortClaim = catchThrowable(() -> TestGateway.await(vault.reserve(gw.gateway().pool(), merchant.id(),
        sku, 2, "two", inMinutes(5))));

    StockVault.Shortfall expected = new StockVault.Shortfall(1, 3, firstPayDeadline);
    assertThat(shortClaim).isInstanceOf(StockVault.OutOfStockException.class);
    assertThat(((StockVault.OutOfStockException) shortClaim).shortfall()).isEqualTo(expected);
    assertThat(vault.knownShortfall(merchant.id(), sku, 2)).as("remembered for the crowd").isEqualTo(expected);
    assertThat(vault.knownShortfall(merchant.id(), sku, 1)).as("one key is free").isNull();
    assertThat(TestGateway.await(vault.counts(merchant.id(), sku)).available()).isEqualTo(1);
  }

  @Test
  void cancellingGivesBackWhatIsStillReservedAndCountsWhatWasDelivered() {
    Merchant merchant = gw.createMerchant("Cancel Shop");
    String sku = gw.createSku(merchant);
    gw.uploadKeys(merchant, sku, keys("CANCEL", 3));
    List<Long> reserved = TestGateway.await(vault.reserve(merchant.id(), sku, 3, "cancel-me", inMinutes(5)));
    TestGateway.await(gw.gateway().pool().withTransaction(tx ->
        vault.deliver(tx, merchant.id(), "cancel-me", List.of(reserved.get(0)))));

    StockVault.Cancelled cancelled = TestGateway.await(vault.cancel(gw.gateway().pool(), merchant.id(), "cancel-me"));

    assertThat(cancelled.released()).isEqualTo(2);
    assertThat(cancelled.delivered()).isEqualTo(1);
    assertThat(TestGateway.await(vault.counts(merchant.id(), sku)).available()).isEqualTo(2);
    assertThat(TestGateway.await(vault.cancel(gw.gateway().pool(), merchant.id(), "cancel-me")))
        .as("a second cancel finds nothing left to give back").isEqualTo(new StockVault.Cancelled(0, 1));
  }

  @Test
  void remembersAShortageForLargerClaimsUntilKeysComeBack() {
    Merchant merchant = gw.createMerchant("Short Shop");
    String sku = gw.createSku(merchant);
    gw.uploadKeys(merchant, sku, keys("SHORT", 2));
    assertThat(vault.knownShort(merchant.id(), sku, 1)).as("nothing known before a claim came up short").isFalse();

    assertThatThrownBy(() -> TestGateway.await(vault.reserve(merchant.id(), sku, 3, "too-many", inMinutes(5))))
        .isInstanceOf(StockVault.OutOfStockException.class);

    assertThat(vault.knownShort(merchant.id(), sku, 3)).isTrue();
    assertThat(vault.knownShort(merchant.id(), sku, 2)).as("two keys were free: a claim for two may go on").isFalse();
    TestGateway.await(vault.reserve(merchant.id(), sku, 2, "both", inMinutes(5)));
    assertThatThrownBy(() -> TestGateway.await(vault.reserve(merchant.id(), sku, 1, "none-left", inMinutes(5))))
        .isInstanceOf(StockVault.OutOfStockException.class);
    assertThat(vault.knownShort(merchant.id(), sku, 1)).isTrue();

    long released = TestGateway.await(vault.cancel(gw.gateway().pool(), merchant.id(), "both")).released();
    assertThat(released).isEqualTo(2);
    assertThat(vault.knownShort(merchant.id(), sku, 1)).as("keys came back").isFalse();
    assertThatThrownBy(() -> TestGateway.await(vault.reserve(merchant.id(), sku, 3, "again", inMinutes(5))))
        .isInstanceOf(StockVault.OutOfStockException.class);
    gw.uploadKeys(merchant, sku, keys("MORE", 1));
    assertThat(vault.knownShort(merchant.id(), sku, 3)).as("an upload").isFalse();
    assertThat(TestGateway.await(vault.reserve(merchant.id(), sku, 3, "all-three", inMinutes(5)))).hasSize(3);
  }

  @Test
  void deliveredKeysOpenToWhatWasUploadedAndLeaveTheStock() {
    Merchant merchant = gw.createMerchant("Deliver Shop");
    String sku = gw.createSku(merchant);
    List<String> uploaded = keys("OPEN", 3);
    gw.uploadKeys(merchant, sku, uploaded);

    List<Long> ids = TestGateway.await(vault.reserve(merchant.id(), sku, 2, "order-open", inMinutes(5)));
    TestGateway.await(gw.gateway().pool().withTransaction(tx -> vault.deliver(tx, merchant.id(), "order-open", ids)));
    List<StockVault.OpenedKey> opened = TestGateway.await(vault.open(gw.gateway().pool(), merchant.id(), ids));

    assertThat(opened).extracting(StockVault.OpenedKey::text).isSubsetOf(uploaded).hasSize(2);
    assertThat(opened.get(0).toString()).doesNotContain(opened.get(0).text());
    assertThat(TestGateway.await(vault.counts(merchant.id(), sku))).isEqualTo(new StockVault.StockCounts(1, 0, 2));
    assertThatThrownBy(() -> TestGateway.await(gw.gateway().pool()
        .withTransaction(tx -> vault.deliver(tx, merchant.id(), "order-open", ids))))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void stockFiguresMatchTheKeysInEachStateThroughUploadsReservationsDeliveriesAndReleases() {
    Merchant merchant = gw.createMerchant("Figures Shop");
    String sku = gw.createSku(merchant);
    gw.uploadKeys(merchant, sku, keys("FIG", 5));
    gw.uploadKeys(merchant, sku, keys("FIG-MORE", 3));
    List<Long> first = TestGateway.await(vault.reserve(merchant.id(), sku, 3, "figures-1", inMinutes(5)));
    TestGateway.await(vault.reserve(merchant.id(), sku, 2, "figures-2", inMinutes(5)));
    TestGateway.await(gw.gateway().pool()
        .withTransaction(tx -> vault.deliver(tx, merchant.id(), "figures-1", first.subList(0, 2))));
    TestGateway.await(vault.cancel(gw.gateway().pool(), merchant.id(), "figures-2"));

    // Delivered is what the SKU ever had less its open stock: the same as counting the keys one by one.
    StockVault.StockCounts counted = counted(merchant, sku);
    assertThat(counted).isEqualTo(new StockVault.StockCounts(5, 1, 2));
    assertThat(TestGateway.await(vault.counts(merchant.id(), sku))).isEqualTo(counted);
    assertThat(TestGateway.await(vault.counts(merchant.id(), List.of(sku, "sku_unknown")))).containsEntry(sku, counted)
        .containsEntry("sku_unknown", StockVault.StockCounts.EMPTY);
  }

  private static StockVault.StockCounts counted(Merchant merchant, String sku) {
    Row row = gw.query("SELECT count(*) FILTER (WHERE state = 'available') AS available,"
        + " count(*) FILTER (WHERE state = 'reserved') AS reserved, count(*) FILTER (WHERE state = 'delivered')"
        + " AS delivered FROM stock_keys WHERE merchant_id = $1 AND sku_id = $2", merchant.id(), sku).get(0);
    return new StockVault.StockCounts(row.getLong("available"), row.getLong("reserved"), row.getLong("delivered"));
  }

  @Test
  void anotherMerchantCannotOpenOrClaimTheKeys() {
    Merchant owner = gw.createMerchant("Owner");
    Merchant stranger = gw.createMerchant("Stranger");
    String sku = gw.createSku(owner);
    gw.uploadKeys(owner, sku, keys("MINE", 2));
    List<Long> ids = TestGateway.await(vault.reserve(owner.id(), sku, 1, "mine", inMinutes(5)));

    assertThat(TestGateway.await(vault.open(gw.gateway().pool(), stranger.id(), ids))).isEmpty();
    assertThatThrownBy(() -> TestGateway.await(vault.reserve(stranger.id(), sku, 1, "theirs", inMinutes(5))))
        .isInstanceOf(StockVault.OutOfStockException.class);
  }

  @Test
  void theClaimWalksThePartialIndexOfAvailableKeys() {
    // A shop with several SKUs, half of this one's keys already taken: the shape after a busy hour.
    Merchant merchant = gw.createMerchant("Index Shop");
    String sku = null;
    for (int other = 0; other < 4; other++) {
      sku = gw.createSku(merchant);
      assertThat(gw.uploadKeys(merchant, sku, keys("IDX" + other, 1000)).status()).isEqualTo(201);
    }
    TestGateway.await(vault.reserve(merchant.id(), sku, 500, "warm", inMinutes(5)));
    gw.query("ANALYZE stock_keys");

    String plan = String.join("\n", gw.query("EXPLAIN " + StockVault.CLAIM.replace("$1", "'" + merchant.id() + "'")
            .replace("$2", "'" + sku + "'").replace("$3", "5").replace("$4", "'x'").replace("$5", "now()"))
        .stream().map(r -> r.getString(0)).toList());

    assertThat(plan).contains("stock_keys_available").doesNotContain("Seq Scan");
    // The plan kept for the prepared statement (no values known) reaches the picked keys by primary key; joined to
    // them instead, it once read every key of the merchant for each claim.
    String kept = genericPlan(StockVault.CLAIM, "text, text, int, text, timestamptz",
        "'" + merchant.id() + "', '" + sku + "', 5, 'x', now()");
    assertThat(kept).contains("Index Cond: ((merchant_id = $1) AND (id = ANY").doesNotContain("Seq Scan")
        .doesNotContain("Bitmap Heap Scan on stock_keys s");
    // A claim that comes up short reads the held keys from the SKU's orders awaiting payment alone, not from every
    // order the merchant has awaiting payment.
    assertThat(plan).contains("orders_awaiting_payment_by_sku");
    assertThat(kept).contains("orders_awaiting_payment_by_sku");
  }

  /** The plan PostgreSQL keeps for {@code sql} once it plans without the values (a generic plan), as text. */
  private static String genericPlan(String sql, String types, String values) {
    return TestGateway.await(gw.gateway().pool().withConnection(connection -> connection
        .query("SET plan_cache_mode = force_generic_plan").execute()
        .compose(set -> connection.query("PREPARE kept(" + types + ") AS " + sql).execute())
        .compose(prepared -> connection.query("EXPLAIN EXECUTE kept(" + values + ")").execute())
        .compose(rows -> connection.query("DEALLOCATE kept").execute()
            .compose(gone -> connection.query("RESET plan_cache_mode").execute())
            .map(reset -> String.join("\n", java.util.stream.StreamSupport.stream(rows.spliterator(), false)
                .map(row -> row.getString(0)).toList())))));
  }

  @Test
  void refusesBadArgumentsLoudly() {
    assertThatThrownBy(() -> TestGateway.await(vault.reserve("mer_x", "sku_x", 0, "r", inMinutes(1))))
        .hasMessageContaining("but was 0");
    Set<String> tooMany = new HashSet<>(keys("MANY", vault.batchMax() + 1));
    assertThatThrownBy(() -> TestGateway.await(vault.prepare("mer_x", "sku_x", new ArrayList<>(tooMany))))
        .hasMessageContaining("but held " + (vault.batchMax() + 1));
  }
}
