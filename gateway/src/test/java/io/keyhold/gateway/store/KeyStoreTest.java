package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.gateway.testing.TestGateway;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The delivered-key store over a real database: which keys it stores as duplicates, claimed and stored in one
 * statement, and what a repeated delivery answers.
 */
class KeyStoreTest {
  static TestGateway gw;
  static KeyStore keys;
  static TestGateway.Merchant shop;
  static String skuId;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    keys = new KeyStore(gw.gateway().vertx(), gw.gateway().secrets().vault(), gw.gateway().secrets().fingerprints());
    shop = gw.createMerchant("Key store shop");
    skuId = gw.createSku(shop);
    // Stock only so that checkouts place orders to store keys for; the keys stored come from the tests.
    List<String> stock = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      stock.add("KS-" + UUID.randomUUID());
    }
    assertThat(gw.uploadKeys(shop, skuId, stock).status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  /** Stores keys as a delivery to units that may have had one before (what is stored is looked up). */
  private static List<KeyStore.Stored> store(String orderId, List<KeyStore.Incoming> incoming) {
    return store(orderId, false, incoming);
  }

  private static List<KeyStore.Stored> store(String orderId, boolean firstForTheirUnits,
      List<KeyStore.Incoming> incoming) {
    return TestGateway.await(gw.gateway().pool().withTransaction(tx -> keys.store(tx, shop.id(), skuId, orderId,
        KeyStore.SOURCE_ADAPTER, null, firstForTheirUnits, incoming)));
  }

  @Test
  void storesAKeyGivenToTwoUnitsOnceAsTheFirstUnitsAndOnceAsADuplicate() {
    String orderId = gw.checkout(shop.apiKey(), skuId, 2).orderId();
    CardKey key = CardKey.of("SHARED-" + UUID.randomUUID());

    List<KeyStore.Stored> stored = store(orderId, List.of(new KeyStore.Incoming(0, key),
        new KeyStore.Incoming(1, key)));

    assertThat(stored).extracting(KeyStore.Stored::unit).containsExactly(0, 1);
    assertThat(stored).extracting(KeyStore.Stored::duplicate).containsExactly(false, true);
    assertThat(gw.query("SELECT unit_index FROM key_fingerprints WHERE order_id = $1", orderId))
        .extracting(row -> row.getInteger("unit_index")).containsExactly(0);
  }

  @Test
  void opensTheKeysItStoredOrReadOnceWithoutReadingThemAgain() {
    String orderId = gw.checkout(shop.apiKey(), skuId, 1).orderId();
    CardKey key = CardKey.of("KEPT-" + UUID.randomUUID());
    String keyRef = store(orderId, true, List.of(new KeyStore.Incoming(0, key))).get(0).keyRef();
    KeyStore otherInstance = new KeyStore(gw.gateway().vertx(), gw.gateway().secrets().vault(),
        gw.gateway().secrets().fingerprints());
    KeyStore readingLater = new KeyStore(gw.gateway().vertx(), gw.gateway().secrets().vault(),
        gw.gateway().secrets().fingerprints());
    assertThat(open(readingLater, orderId, keyRef)).as("read once").isEqualTo(key);

    // The stored ciphertext spoiled: only a store that never kept the key reads it.
    gw.query("UPDATE delivered_keys SET sealed_key = '\\x00'::bytea WHERE order_id = $1", orderId);

    assertThat(open(keys, orderId, keyRef)).as("kept as it was stored").isEqualTo(key);
    assertThat(open(readingLater, orderId, keyRef)).as("kept as it was read").isEqualTo(key);
    assertThat(gw.gateway().pool().withTransaction(tx -> otherInstance.open(tx, shop.id(), orderId, List.of(keyRef)))
        .toCompletionStage().toCompletableFuture().handle((opened, failure) -> failure).join())
        .as("read from the database by a store that never kept it").isNotNull();
  }

  private static CardKey open(KeyStore store, String orderId, String keyRef) {
    return TestGateway.await(store.open(gw.gateway().pool(), shop.id(), orderId, List.of(keyRef))).get(keyRef);
  }

  @Test
  void aRepeatedDeliveryAnswersTheKeysStoredAndStoresNothingNew() {
    String orderId = gw.checkout(shop.apiKey(), skuId, 1).orderId();
    List<KeyStore.Incoming> incoming = List.of(new KeyStore.Incoming(0, CardKey.of("REPEAT-" + UUID.randomUUID())));
    List<KeyStore.Stored> first = store(orderId, incoming);

    List<KeyStore.Stored> again = store(orderId, incoming);

    assertThat(again).isEqualTo(first);
    assertThat(first.get(0).duplicate()).isFalse();
    assertThat(gw.query("SELECT count(*) FROM delivered_keys WHERE order_id = $1", orderId).get(0).getLong(0))
        .isEqualTo(1);
  }

  @Test
  void aKeyAnotherOrderHoldsIsStoredAsADuplicate() {
    String firstOrder = gw.checkout(shop.apiKey(), skuId, 1).orderId();
    String secondOrder = gw.checkout(shop.apiKey(), skuId, 1).orderId();
    CardKey key = CardKey.of("TWICE-" + UUID.randomUUID());
    store(firstOrder, List.of(new KeyStore.Incoming(0, key)));

    List<KeyStore.Stored> second = store(secondOrder, List.of(new KeyStore.Incoming(0, key)));

    assertThat(second).singleElement().satisfies(stored -> assertThat(stored.duplicate()).isTrue());
    assertThat(gw.query("SELECT order_id FROM key_fingerprints WHERE fingerprint = decode($1, 'hex')",
        second.get(0).fingerprint())).extracting(row -> row.getString("order_id")).containsExactly(firstOrder);
    assertThat(gw.query("SELECT duplicate FROM delivered_keys WHERE order_id = $1", secondOrder))
        .extracting(row -> row.getBoolean("duplicate")).containsExactly(true);
  }

  @Test
  void theFirstKeysOfUnitsFindTheSameDuplicatesWithoutALookUp() {
    String holder = gw.checkout(shop.apiKey(), skuId, 1).orderId();
    String orderId = gw.checkout(shop.apiKey(), skuId, 2).orderId();
    CardKey held = CardKey.of("HELD-" + UUID.randomUUID());
    CardKey fresh = CardKey.of("FRESH-" + UUID.randomUUID());
    store(holder, true, List.of(new KeyStore.Incoming(0, held)));

    List<KeyStore.Stored> stored = store(orderId, true, List.of(new KeyStore.Incoming(0, fresh),
        new KeyStore.Incoming(1, held)));

    assertThat(stored).extracting(KeyStore.Stored::duplicate).as("a new key, then one another order holds")
        .containsExactly(false, true);
  }
}
