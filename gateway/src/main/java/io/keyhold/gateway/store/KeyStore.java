package io.keyhold.gateway.store;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.gateway.crypto.Fingerprints;
import io.keyhold.gateway.crypto.KeyVault;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The keys delivered to order units: each sealed with the {@link KeyVault} (AES-GCM, bound to its
 * merchant, order and reference) in {@code delivered_keys}, fingerprinted with {@link Fingerprints},
 * and claimed in the global {@code key_fingerprints} index, which is how a key sold twice — by any
 * merchants — is caught.
 *
 * <p>A fingerprint is claimed for a unit when it is new, when it is the merchant's own stock key not
 * yet delivered, or when it is already this very unit's (a repeated delivery). Anything else — a key
 * another unit received, another merchant's stock — is a duplicate: the key is still stored (it is
 * evidence) with {@code duplicate = true}, and the caller tells the order {@code DuplicateKeyFound}.
 */
public final class KeyStore {
  /** Sealing more keys than this runs on a worker thread. */
  public static final int INLINE_CRYPTO_KEYS_MAX = 8;
  public static final String KEY_REF_PREFIX = "dk";
  public static final String SOURCE_STOCK = "stock";
  public static final String SOURCE_ADAPTER = "adapter";
  public static final String SOURCE_PUSH = "push";

  private static final HexFormat HEX = HexFormat.of();
  private static final String EXISTING = "SELECT key_ref, unit_index, fingerprint, duplicate, supplier FROM delivered_keys"
      + " WHERE merchant_id = $1 AND order_id = $2 AND fingerprint = ANY($3)";
  /**
   * Claims the fresh keys' fingerprints ($11..$14, by fingerprint) for their units and stores every key ($1..$10) in
   * one statement. A fresh key whose claim returned no row was held by something else: a duplicate; a key passed
   * as one already ($9) is stored as one without asking the index.
   */
  private static final String CLAIM_AND_INSERT = "WITH claimed AS (INSERT INTO key_fingerprints (fingerprint,"
      + " merchant_id, sku_id, source, order_id, unit_index, delivered_at) SELECT c.f, $11, $12, 'delivery', $2, c.u,"
      + " now() FROM unnest($13::bytea[], $14::int[]) AS c(f, u)"
      + " ON CONFLICT (fingerprint) DO UPDATE SET order_id = excluded.order_id, unit_index = excluded.unit_index,"
      + " delivered_at = excluded.delivered_at"
      + " WHERE (key_fingerprints.order_id IS NULL AND key_fingerprints.merchant_id = excluded.merchant_id)"
      + " OR (key_fingerprints.order_id = excluded.order_id AND key_fingerprints.unit_index = excluded.unit_index)"
      + " RETURNING fingerprint)"
      + " INSERT INTO delivered_keys (merchant_id, order_id, key_ref, unit_index, source, vault_key_id, sealed_key,"
      + " fingerprint, duplicate, supplier) SELECT $1, $2, d.r, d.u, $3, $4, d.s, d.f,"
      + " d.d OR NOT EXISTS (SELECT 1 FROM claimed WHERE claimed.fingerprint = d.f), $10"
      + " FROM unnest($5::text[], $6::int[], $7::bytea[], $8::bytea[], $9::bool[]) AS d(r, u, s, f, d)"
      + " RETURNING key_ref, duplicate";
  private static final String OPEN = "SELECT key_ref, vault_key_id, sealed_key FROM delivered_keys"
      + " WHERE merchant_id = $1 AND order_id = $2 AND key_ref = ANY($3)";
  private static final String FINGERPRINTS_OF = "SELECT fingerprint FROM delivered_keys"
      + " WHERE merchant_id = $1 AND order_id = $2 AND key_ref = ANY($3) AND NOT duplicate";
  private static final String SUPPLIERS_OF = "SELECT key_ref, supplier FROM delivered_keys"
      + " WHERE merchant_id = $1 AND order_id = $2 AND key_ref = ANY($3)";
  private static final String UNBIND = "UPDATE key_fingerprints SET order_id = NULL, unit_index = NULL,"
      + " delivered_at = NULL WHERE fingerprint = ANY($1) AND order_id = $2 AND source = 'stock'";
  private static final String RESTOCK = "UPDATE stock_keys SET state = 'available', reservation_ref = NULL,"
      + " reserved_until = NULL WHERE merchant_id = $1 AND fingerprint = ANY($2) AND state = 'delivered'"
      + " RETURNING id";
  private static final String FORGET_STOCK_DELIVERY = "DELETE FROM stock_deliveries"
      + " WHERE merchant_id = $1 AND stock_key_id = ANY($2)";

  /**
   * Sealed keys kept in memory after this instance stored or read them, at most (~300 bytes each): a buyer's reveal,
   * confirmation and page open the keys delivered a moment before. A stored key never changes (nothing re-seals), so
   * a kept one cannot go stale; only ciphertext is kept, never a key in the clear.
   */
  public static final int SEALED_KEPT_MAX = 10_000;
  /** How long a sealed key stays kept after it was stored or read. */
  public static final Duration SEALED_KEPT_FOR = Duration.ofMinutes(10);

  private final Vertx vertx;
  private final KeyVault vault;
  private final Fingerprints fingerprints;
  /** Sealed keys by merchant, order and reference (see {@link #SEALED_KEPT_MAX}). */
  private final Cache<String, KeyVault.Sealed> sealedKept = Caffeine.newBuilder().maximumSize(SEALED_KEPT_MAX)
      .expireAfterWrite(SEALED_KEPT_FOR).build();

  public KeyStore(Vertx vertx, KeyVault vault, Fingerprints fingerprints) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.vault = Objects.requireNonNull(vault, "vault");
    this.fingerprints = Objects.requireNonNull(fingerprints, "fingerprints");
  }

  private static String keptId(String merchantId, String orderId, String keyRef) {
    return merchantId + "/" + orderId + "/" + keyRef;
  }

  /** One key arriving for one unit. {@link #toString()} hides the key. */
  public record Incoming(int unit, CardKey key) {
    public Incoming {
      Objects.requireNonNull(key, "key");
    }
  }

  /**
   * A key as stored for a unit.
   *
   * @param unit the unit
   * @param keyRef its reference ({@code dk_…}), what escrow-core holds
   * @param fingerprint the HMAC fingerprint, lower-case hex
   * @param duplicate true when the fingerprint was already delivered elsewhere
   */
  public record Stored(int unit, String keyRef, String fingerprint, boolean duplicate) {}

  /**
   * A key the merchant sent that breaks the card-key rule on characters ({@link DeliveredKey#refused()}):
   * fingerprinted, stored nowhere, claimed in no index, so it can never be opened or shown. Its
   * reference is derived from the order, the unit and the fingerprint, so the same refused key sent
   * again is recognised as the one the unit already holds, as a stored key is.
   */
  public Stored refused(String orderId, int unit, String text) {
    String fingerprint = HEX.formatHex(fingerprints.of(text));
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(("refused-key:" + orderId + ":" + unit + ":" + fingerprint).getBytes(StandardCharsets.UTF_8));
      return new Stored(unit, Ids.derived(KEY_REF_PREFIX, digest), fingerprint, false);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /**
   * A backup source that delivers keys for another merchant's order: the merchant and SKU the keys come from
   * (a stock key is claimed as that merchant's own).
   */
  public record Supplier(String merchantId, String skuId) {
    public Supplier {
      Objects.requireNonNull(merchantId, "merchantId");
      Objects.requireNonNull(skuId, "skuId");
    }

    String label() {
      return merchantId + "/" + skuId;
    }
  }

  /**
   * Seals, fingerprints, claims and stores {@code keys} for the units of one order through {@code tx}, from
   * {@code supplier}, a backup source of the order (null: the order's own merchant). A key this unit already
   * received (same fingerprint) from the same source answers its existing reference, so repeating a delivery stores
   * nothing new; offered by another source it is a duplicate.
   *
   * <p>{@code firstForTheirUnits}: no unit of these keys was ever given one — the order the caller decides on says
   * so, and the version check of the change these keys are stored with (in {@code tx}) guards that it still does.
   * Nothing stored can then repeat them, and it is not looked up.
   */
  public Future<List<Stored>> store(SqlClient tx, String merchantId, String skuId, String orderId, String source,
      Supplier supplier, boolean firstForTheirUnits, List<Incoming> keys) {
    String supplierLabel = supplier == null ? null : supplier.label();
    String ownerId = supplier == null ? merchantId : supplier.merchantId();
    String ownerSku = supplier == null ? skuId : supplier.skuId();
    if (keys.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return prepare(merchantId, orderId, keys).compose(prepared -> {
      Buffer[] prints = prepared.stream().map(p -> Buffer.buffer(p.fingerprint)).toArray(Buffer[]::new);
      Future<Iterable<Row>> earlier = firstForTheirUnits ? Future.succeededFuture(List.of())
          : tx.preparedQuery(EXISTING).execute(Tuple.of(merchantId, orderId, prints)).map(found -> found);
      return earlier.compose(rows -> {
        Map<String, Row> existing = new HashMap<>();
        Set<String> heldByUnit = new HashSet<>();
        rows.forEach(row -> {
          String unitAndPrint = row.getInteger("unit_index") + ":" + HEX.formatHex(row.getBuffer("fingerprint").getBytes());
          heldByUnit.add(unitAndPrint);
          if (Objects.equals(row.getString("supplier"), supplierLabel)) {
            existing.put(unitAndPrint, row);
          }
        });
        List<Stored> result = new ArrayList<>();
        List<Prepared> fresh = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<Prepared> repeatedInBatch = new ArrayList<>();
        for (Prepared key : prepared) {
          String hex = HEX.formatHex(key.fingerprint);
          Row known = existing.get(key.unit + ":" + hex);
          if (known != null) {
            result.add(new Stored(key.unit, known.getString("key_ref"), hex, known.getBoolean("duplicate")));
          } else if (!seen.add(hex) || heldByUnit.contains(key.unit + ":" + hex)) {
            // One delivery giving one key to two units, or a key this unit got from another source: a duplicate
            // without asking the index.
            repeatedInBatch.add(key);
          } else {
            fresh.add(key);
          }
        }
        if (fresh.isEmpty() && repeatedInBatch.isEmpty()) {
          return Future.succeededFuture(result);
        }
        return claimAndInsert(tx, merchantId, orderId, source, supplierLabel, ownerId, ownerSku, fresh,
            repeatedInBatch).map(stored -> {
              result.addAll(stored);
              result.sort((a, b) -> Integer.compare(a.unit(), b.unit()));
              return result;
            });
      });
    });
  }

  /**
   * Claims the fresh keys' fingerprints for the owner ({@code ownerId}, {@code ownerSku}: the order's merchant, or
   * the backup source's) and stores them and the keys repeated in the batch; answers them as stored.
   */
  private Future<List<Stored>> claimAndInsert(SqlClient tx, String merchantId, String orderId, String source,
      String supplier, String ownerId, String ownerSku, List<Prepared> fresh, List<Prepared> repeatedInBatch) {
    // Claimed in one global order (by fingerprint), so two deliveries sharing keys cannot deadlock each other.
    List<Prepared> claims = new ArrayList<>(fresh);
    claims.sort((a, b) -> java.util.Arrays.compareUnsigned(a.fingerprint, b.fingerprint));
    List<Prepared> keys = new ArrayList<>(fresh);
    keys.addAll(repeatedInBatch);
    int n = keys.size();
    String[] refs = new String[n];
    Integer[] units = new Integer[n];
    Buffer[] sealed = new Buffer[n];
    Buffer[] prints = new Buffer[n];
    Boolean[] duplicate = new Boolean[n];
    String keyId = null;
    for (int i = 0; i < n; i++) {
      Prepared key = keys.get(i);
      refs[i] = key.keyRef;
      units[i] = key.unit;
      sealed[i] = Buffer.buffer(key.sealed.ciphertext());
      prints[i] = Buffer.buffer(key.fingerprint);
      duplicate[i] = i >= fresh.size();
      keyId = key.sealed.keyId();
    }
    return tx.preparedQuery(CLAIM_AND_INSERT).execute(Tuple.tuple().addString(merchantId).addString(orderId)
            .addString(source).addString(keyId).addArrayOfString(refs).addArrayOfInteger(units).addValue(sealed)
            .addValue(prints).addArrayOfBoolean(duplicate).addString(supplier).addString(ownerId).addString(ownerSku)
            .addValue(claims.stream().map(p -> Buffer.buffer(p.fingerprint)).toArray(Buffer[]::new))
            .addArrayOfInteger(claims.stream().map(p -> p.unit).toArray(Integer[]::new)))
        .compose(rows -> {
          if (rows.rowCount() != n) {
            return Future.failedFuture(new IllegalStateException("stored " + rows.rowCount() + " of " + n + " keys"));
          }
          Map<String, Boolean> duplicates = new HashMap<>();
          rows.forEach(row -> duplicates.put(row.getString("key_ref"), row.getBoolean("duplicate")));
          List<Stored> stored = new ArrayList<>(n);
          for (Prepared key : keys) {
            stored.add(new Stored(key.unit, key.keyRef, HEX.formatHex(key.fingerprint), duplicates.get(key.keyRef)));
            // Kept before the caller's transaction commits: should it roll back, the reference (fresh, random) is
            // held by no committed order, so nothing ever asks for it.
            sealedKept.put(keptId(merchantId, orderId, key.keyRef), key.sealed);
          }
          return Future.succeededFuture(stored);
        });
  }

  /**
   * Opens the order's keys with these references, off the event loop when there are many. Answers
   * reference to key; a reference the order does not hold is left out.
   */
  public Future<Map<String, CardKey>> open(SqlClient client, String merchantId, String orderId, List<String> keyRefs) {
    if (keyRefs.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Map<String, KeyVault.Sealed> sealed = new LinkedHashMap<>();
    for (String keyRef : keyRefs) {
      KeyVault.Sealed kept = sealedKept.getIfPresent(keptId(merchantId, orderId, keyRef));
      if (kept == null) {
        sealed.clear();
        break;
      }
      sealed.put(keyRef, kept);
    }
    Future<Map<String, KeyVault.Sealed>> found = !sealed.isEmpty() ? Future.succeededFuture(sealed)
        : client.preparedQuery(OPEN).execute(Tuple.of(merchantId, orderId, keyRefs.toArray(new String[0])))
            .map(rows -> {
              Map<String, KeyVault.Sealed> read = new LinkedHashMap<>();
              for (Row row : rows) {
                String keyRef = row.getString("key_ref");
                KeyVault.Sealed one = new KeyVault.Sealed(row.getString("vault_key_id"),
                    row.getBuffer("sealed_key").getBytes());
                read.put(keyRef, one);
                sealedKept.put(keptId(merchantId, orderId, keyRef), one);
              }
              return read;
            });
    return found.compose(keys -> keys.size() <= INLINE_CRYPTO_KEYS_MAX
        ? Future.succeededFuture(openAll(merchantId, orderId, keys))
        : vertx.executeBlocking(() -> openAll(merchantId, orderId, keys), false));
  }

  private Map<String, CardKey> openAll(String merchantId, String orderId, Map<String, KeyVault.Sealed> sealed) {
    Map<String, CardKey> keys = new LinkedHashMap<>();
    sealed.forEach((keyRef, one) -> {
      byte[] plain = vault.open(one, aad(merchantId, orderId, keyRef));
      keys.put(keyRef, CardKey.of(new String(plain, StandardCharsets.UTF_8)));
    });
    return keys;
  }

  /**
   * Gives keys the buyer never saw back to the merchant's stock, through {@code tx}: stock keys
   * become available again and their fingerprints free for a later delivery. Keys that came from an
   * adapter or a push stay where they are (the protocol has no "take back"). Answers how many went
   * back.
   */
  public Future<Integer> returnToStock(SqlClient tx, String merchantId, String orderId, List<String> keyRefs) {
    return returnToStock(tx, merchantId, merchantId, orderId, keyRefs);
  }

  /**
   * The merchant whose source delivered each of these keys of the order (a backup source's merchant, or the order's
   * own), grouped: merchant to key references, in the order given.
   */
  public Future<Map<String, List<String>>> bySupplier(SqlClient client, String merchantId, String orderId,
      List<String> keyRefs) {
    return client.preparedQuery(SUPPLIERS_OF).execute(Tuple.of(merchantId, orderId, keyRefs.toArray(new String[0])))
        .map(rows -> {
          Map<String, String> supplierOf = new HashMap<>();
          rows.forEach(row -> {
            String supplier = row.getString("supplier");
            supplierOf.put(row.getString("key_ref"), supplier == null ? merchantId
                : supplier.substring(0, supplier.indexOf('/')));
          });
          Map<String, List<String>> grouped = new LinkedHashMap<>();
          for (String keyRef : keyRefs) {
            String supplier = supplierOf.get(keyRef);
            if (supplier != null) {
              grouped.computeIfAbsent(supplier, s -> new ArrayList<>()).add(keyRef);
            }
          }
          return grouped;
        });
  }

  /**
   * {@link #returnToStock(SqlClient, String, String, List)} for keys of an order of {@code merchantId} that came
   * from the stock of {@code stockMerchantId} (a backup source's, or the order's own).
   */
  public Future<Integer> returnToStock(SqlClient tx, String merchantId, String stockMerchantId, String orderId,
      List<String> keyRefs) {
    if (keyRefs.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return tx.preparedQuery(FINGERPRINTS_OF).execute(Tuple.of(merchantId, orderId, keyRefs.toArray(new String[0])))
        .compose(rows -> {
          List<Buffer> prints = new ArrayList<>();
          rows.forEach(row -> prints.add(row.getBuffer("fingerprint")));
          if (prints.isEmpty()) {
            return Future.succeededFuture(0);
          }
          Buffer[] array = prints.toArray(new Buffer[0]);
          return tx.preparedQuery(RESTOCK).execute(Tuple.tuple().addString(stockMerchantId).addValue(array))
              .compose(restocked -> {
                List<Long> ids = new ArrayList<>();
                restocked.forEach(row -> ids.add(row.getLong("id")));
                Future<?> forget = ids.isEmpty() ? Future.succeededFuture()
                    : tx.preparedQuery(FORGET_STOCK_DELIVERY)
                        .execute(Tuple.tuple().addString(stockMerchantId).addArrayOfLong(ids.toArray(new Long[0])));
                Future<?> unbind = ids.isEmpty() ? Future.succeededFuture()
                    : tx.preparedQuery(UNBIND).execute(Tuple.tuple().addValue(array).addString(orderId));
                return Future.all(forget, unbind).map(ignored -> ids.size());
              });
        });
  }

  private Future<List<Prepared>> prepare(String merchantId, String orderId, List<Incoming> keys) {
    if (keys.size() <= INLINE_CRYPTO_KEYS_MAX) {
      try {
        return Future.succeededFuture(prepareNow(merchantId, orderId, keys));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    return vertx.executeBlocking(() -> prepareNow(merchantId, orderId, keys), false);
  }

  private List<Prepared> prepareNow(String merchantId, String orderId, List<Incoming> keys) {
    List<Prepared> prepared = new ArrayList<>(keys.size());
    for (Incoming key : keys) {
      String keyRef = Ids.newId(KEY_REF_PREFIX);
      String text = key.key().reveal();
      KeyVault.Sealed sealed = vault.seal(text.getBytes(StandardCharsets.UTF_8), aad(merchantId, orderId, keyRef));
      prepared.add(new Prepared(key.unit(), keyRef, sealed, fingerprints.of(text)));
    }
    return prepared;
  }

  /** Binds a sealed key to its row: a ciphertext copied elsewhere fails to open. */
  private static byte[] aad(String merchantId, String orderId, String keyRef) {
    return ("delivered-key:" + merchantId + ":" + orderId + ":" + keyRef).getBytes(StandardCharsets.UTF_8);
  }

  /** A key sealed and fingerprinted; holds no plaintext. */
  private record Prepared(int unit, String keyRef, KeyVault.Sealed sealed, byte[] fingerprint) {}
}
