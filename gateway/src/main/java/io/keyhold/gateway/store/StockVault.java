package io.keyhold.gateway.store;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.gateway.crypto.Fingerprints;
import io.keyhold.gateway.crypto.KeyVault;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The consignment stock vault, the built-in {@code stock} adapter's store: card keys a shop uploads
 * ahead, sealed with the {@link KeyVault}, fingerprinted with {@link Fingerprints}, and handed out
 * one per unit.
 *
 * <p>Life of a key: {@code available} → {@link #reserve reserved} (with an expiry and a reservation
 * reference, such as an order id) → {@link #deliver delivered}; or back to {@code available} by
 * {@link #cancel} or when the reservation expires ({@link #releaseExpired}, for the sweeper).
 *
 * <p>Claims use {@code FOR UPDATE SKIP LOCKED} through the partial index {@code stock_keys_available}
 * (available keys per merchant and SKU, in id order): concurrent claims never wait on each other,
 * never hand out one key twice, and never scan keys already taken.
 *
 * <p>Uploads register every key's fingerprint in {@code key_fingerprints} (unique across all
 * merchants) in the same transaction: a key Keyhold already holds, anywhere, refuses the whole
 * upload with {@code duplicate_key}, naming the positions in the upload but never the holder.
 *
 * <p>Methods taking a {@link SqlClient} run in the caller's transaction; failing futures must roll
 * it back (as {@code pool.withTransaction} does).
 */
public final class StockVault {
  /** The adapter type of orders placed on the vault's keys. */
  public static final String ADAPTER_TYPE = "stock";
  /** Longest card key accepted, in characters. */
  public static final int KEY_LENGTH_MAX = 256;
  /** Sealing more keys than this runs on a worker thread, off the event loop. */
  public static final int INLINE_CRYPTO_KEYS_MAX = 8;
  public static final int RESERVATION_REF_LENGTH_MAX = 100;
  public static final String AVAILABLE = "available";
  public static final String RESERVED = "reserved";
  public static final String DELIVERED = "delivered";

  private static final String INSERT_FINGERPRINTS = "INSERT INTO key_fingerprints (fingerprint, merchant_id, sku_id,"
      + " source) SELECT f, $2, $3, 'stock' FROM unnest($1::bytea[]) AS t(f)"
      + " ON CONFLICT (fingerprint) DO NOTHING RETURNING fingerprint";
  /** The keys stored, and the SKU's count of every key it ever had raised by as many, in one statement. */
  private static final String INSERT_KEYS = "WITH stored AS (INSERT INTO stock_keys (merchant_id, sku_id, vault_key_id,"
      + " sealed_key, fingerprint, state) SELECT $1, $2, $3, k, f, 'available' FROM unnest($4::bytea[], $5::bytea[])"
      + " AS t(k, f) RETURNING 1), counted AS (UPDATE skus SET stock_keys_total = stock_keys_total"
      + " + (SELECT count(*) FROM stored) WHERE merchant_id = $1 AND id = $2)"
      + " SELECT count(*) AS stored FROM stored";
  /**
   * The claim, all or nothing in one statement: the planner walks stock_keys_available in id order and
   * skips rows others hold; only when it found all {@code $3} are they reserved. Answers the reserved ids,
   * or one row with a null id and how many were free. The update reaches the picked keys by primary key, the ids as
   * one array: joined to {@code picked} instead, the plan PostgreSQL keeps for the statement read every key of the
   * merchant for each claim (a bitmap scan on the merchant alone, the join filtering by id: 2,900 index entries a
   * claim late in a flash sale of 2,000 keys). A claim that comes up short also answers how many of the SKU's keys
   * orders awaiting payment hold, and the first of their pay deadlines ({@link Shortfall}): an order unpaid then expires
   * and gives its keys back. A claim that does not come up short skips that read.
   */
  static final String CLAIM = "WITH picked AS (SELECT id FROM stock_keys"
      + " WHERE merchant_id = $1 AND sku_id = $2 AND state = 'available'"
      + " ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),"
      + " found AS (SELECT count(*) AS free FROM picked),"
      + " claimed AS (UPDATE stock_keys s SET state = 'reserved', reservation_ref = $4, reserved_until = $5"
      + " FROM found WHERE found.free = $3 AND s.merchant_id = $1 AND s.id = ANY(ARRAY(SELECT id FROM picked))"
      + " RETURNING s.id)"
      + " SELECT claimed.id, found.free, held.units AS held, held.first_until AS held_until FROM found"
      + " LEFT JOIN claimed ON true LEFT JOIN LATERAL (SELECT coalesce(sum(o.quantity), 0) AS units,"
      + " min(o.next_action_at) AS first_until FROM orders o WHERE found.free < $3 AND o.merchant_id = $1"
      + " AND o.state = 'awaiting_payment' AND o.sku_id = $2) held ON true";
  private static final String RELEASE = "UPDATE stock_keys SET state = 'available', reservation_ref = NULL,"
      + " reserved_until = NULL WHERE merchant_id = $1 AND reservation_ref = $2 AND state = 'reserved' RETURNING id";
  /** {@link #RELEASE} and, in the same statement, how many keys of the reservation were delivered already. */
  private static final String CANCEL = "WITH released AS (" + RELEASE + ")"
      + " SELECT (SELECT count(*) FROM released) AS released, (SELECT count(*) FROM stock_keys"
      + " WHERE merchant_id = $1 AND reservation_ref = $2 AND state = 'delivered') AS delivered";
  private static final String DELIVER = "UPDATE stock_keys SET state = 'delivered', reserved_until = NULL"
      + " WHERE merchant_id = $1 AND reservation_ref = $2 AND state = 'reserved' AND id = ANY($3) RETURNING id";
  private static final String RELEASE_EXPIRED = "WITH due AS (SELECT merchant_id, id, sku_id, reservation_ref"
      + " FROM stock_keys WHERE state = 'reserved' AND reserved_until <= $1"
      + " ORDER BY reserved_until LIMIT $2 FOR UPDATE SKIP LOCKED)"
      + " UPDATE stock_keys s SET state = 'available', reservation_ref = NULL, reserved_until = NULL"
      + " FROM due WHERE s.merchant_id = due.merchant_id AND s.id = due.id"
      + " RETURNING due.merchant_id, due.sku_id, due.id, due.reservation_ref";
  /** The columns {@link #opened} opens a key from. */
  public static final String SEALED_COLUMNS = "id, sku_id, vault_key_id, sealed_key";
  private static final String OPEN = "SELECT " + SEALED_COLUMNS + " FROM stock_keys"
      + " WHERE merchant_id = $1 AND id = ANY($2) ORDER BY id";
  /**
   * Each of the merchant's SKUs $2: every key it ever had (kept at upload), and its available and reserved keys, open
   * stock counted through their partial indexes; the rest are delivered. Counting the delivered ones read the SKU's
   * whole history at each request.
   */
  private static final String COUNTS = "SELECT s.id AS sku_id, s.stock_keys_total AS total,"
      + " (SELECT count(*) FROM stock_keys k WHERE k.merchant_id = s.merchant_id AND k.sku_id = s.id"
      + " AND k.state = 'available') AS available,"
      + " (SELECT count(*) FROM stock_keys k WHERE k.merchant_id = s.merchant_id AND k.sku_id = s.id"
      + " AND k.state = 'reserved') AS reserved"
      + " FROM skus s WHERE s.merchant_id = $1 AND s.id = ANY($2)";

  private final Vertx vertx;
  private final Pool pool;
  private final KeyVault vault;
  private final Fingerprints fingerprints;
  private final int batchMax;
  private final ShortStock shortStock;

  public StockVault(Vertx vertx, Pool pool, KeyVault vault, Fingerprints fingerprints, int batchMax) {
    this(vertx, pool, vault, fingerprints, batchMax, new ShortStock());
  }

  private StockVault(Vertx vertx, Pool pool, KeyVault vault, Fingerprints fingerprints, int batchMax,
      ShortStock shortStock) {
    this.shortStock = shortStock;
    if (batchMax <= 0) {
      throw new IllegalArgumentException("batch max must be greater than 0, but was " + batchMax);
    }
    this.vertx = vertx;
    this.pool = pool;
    this.vault = vault;
    this.fingerprints = fingerprints;
    this.batchMax = batchMax;
  }

  /** The same vault working through {@code other} (the order engine's own pool); one sold-out memory for both. */
  public StockVault using(Pool other) {
    return new StockVault(vertx, other, vault, fingerprints, batchMax, shortStock);
  }

  public int batchMax() {
    return batchMax;
  }

  /**
   * Seals and fingerprints {@code keys} for an upload to one SKU, off the event loop when there are
   * many. Every key must be usable ({@link #unusableKeys}: no control character, not empty once
   * normalized). Fails with {@link DuplicateKeysException} when the upload repeats a key; nothing of
   * the upload is stored.
   */
  public Future<PreparedKeys> prepare(String merchantId, String skuId, List<String> keys) {
    if (keys.isEmpty() || keys.size() > batchMax) {
      return Future.failedFuture(new IllegalArgumentException(
          "an upload must hold 1 to " + batchMax + " keys, but held " + keys.size()));
    }
    if (keys.size() <= INLINE_CRYPTO_KEYS_MAX) {
      try {
        return Future.succeededFuture(prepareNow(merchantId, skuId, keys));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    return vertx.executeBlocking(() -> prepareNow(merchantId, skuId, keys), false);
  }

  private PreparedKeys prepareNow(String merchantId, String skuId, List<String> keys) {
    byte[] aad = associatedData(merchantId, skuId);
    Buffer[] sealed = new Buffer[keys.size()];
    Buffer[] prints = new Buffer[keys.size()];
    Map<Buffer, Integer> seen = new HashMap<>();
    List<Integer> repeated = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      if (CardKey.controlCharacterIndex(keys.get(i)) >= 0) {
        throw new IllegalArgumentException("key " + i + " holds a control character");
      }
      String key = keys.get(i).strip();
      if (Fingerprints.normalize(key).isEmpty()) {
        throw new IllegalArgumentException("key " + i + " is empty once normalized");
      }
      prints[i] = Buffer.buffer(fingerprints.of(key));
      if (seen.putIfAbsent(prints[i], i) != null) {
        repeated.add(i);
      }
      sealed[i] = Buffer.buffer(vault.seal(key.getBytes(StandardCharsets.UTF_8), aad).ciphertext());
    }
    if (!repeated.isEmpty()) {
      throw duplicates(repeated);
    }
    return new PreparedKeys(merchantId, skuId, vault.activeKeyId(), sealed, prints);
  }

  /**
   * Stores prepared keys through {@code tx}; the SKU must be the merchant's (checked before). Fails
   * with {@link DuplicateKeysException}, storing nothing, when any key is already held anywhere.
   */
  public Future<UploadResult> upload(SqlClient tx, PreparedKeys keys) {
    return tx.preparedQuery(INSERT_FINGERPRINTS)
        .execute(Tuple.tuple().addValue(keys.fingerprints).addString(keys.merchantId).addString(keys.skuId))
        .compose(inserted -> {
          if (inserted.rowCount() != keys.size()) {
            Set<Buffer> fresh = new HashSet<>();
            inserted.forEach(row -> fresh.add(row.getBuffer("fingerprint")));
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
              if (!fresh.contains(keys.fingerprints[i])) {
                positions.add(i);
              }
            }
            return Future.failedFuture(duplicates(positions));
          }
          return tx.preparedQuery(INSERT_KEYS).execute(Tuple.tuple().addString(keys.merchantId)
              .addString(keys.skuId).addString(keys.vaultKeyId).addValue(keys.sealed).addValue(keys.fingerprints));
        })
        .map(rows -> {
          int stored = rows.iterator().next().getLong("stored").intValue();
          assert stored == keys.size() : "stored " + stored + " of " + keys.size() + " keys";
          shortStock.forgetSku(keys.merchantId, keys.skuId);
          return new UploadResult(keys.skuId, stored);
        });
  }

  private static DuplicateKeysException duplicates(List<Integer> positions) {
    return new DuplicateKeysException(positions);
  }

  /** A key of an upload the vault will not take, and why (a sentence that never echoes the key). */
  public record UnusableKey(int index, String reason) {}

  /**
   * The keys of an upload that hold a control character ({@link CardKey#isControlCharacter(int)}) or
   * are empty once normalized (spaces and dashes removed), in upload order.
   */
  public static List<UnusableKey> unusableKeys(List<String> keys) {
    List<UnusableKey> unusable = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      int control = CardKey.controlCharacterIndex(keys.get(i));
      if (control >= 0) {
        unusable.add(new UnusableKey(i,
            "must not contain control, format or line-separator characters, but has one at character " + control));
      } else if (Fingerprints.normalize(keys.get(i).strip()).isEmpty()) {
        unusable.add(new UnusableKey(i, "has no characters left once spaces and dashes are removed"));
      }
    }
    return unusable;
  }

  /** Keys of an upload already held by Keyhold or repeated in it; nothing was stored. */
  public static final class DuplicateKeysException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<Integer> positions;

    public DuplicateKeysException(List<Integer> positions) {
      super(positions.size() + " key(s) of this upload are already held by Keyhold or repeated in it;"
          + " nothing was stored", null, false, false);
      this.positions = List.copyOf(positions);
    }

    /** Indexes into the upload's {@code keys}. */
    public List<Integer> positions() {
      return positions;
    }
  }

  /**
   * Reserves exactly {@code quantity} available keys of the SKU until {@code until}, under
   * {@code reservationRef}, through {@code tx} (a transaction, or the pool: the claim is one statement);
   * all or nothing: fails with {@link OutOfStockException}, having reserved nothing, when fewer are free.
   * Answers the reserved stock key ids.
   */
  public Future<List<Long>> reserve(SqlClient tx, String merchantId, String skuId, int quantity, String reservationRef,
      OffsetDateTime until) {
    if (quantity <= 0 || quantity > batchMax) {
      return Future.failedFuture(new IllegalArgumentException(
          "quantity must be between 1 and " + batchMax + ", but was " + quantity));
    }
    checkRef(reservationRef);
    return tx.preparedQuery(CLAIM).execute(Tuple.of(merchantId, skuId, quantity, reservationRef, until))
        .compose(rows -> {
          List<Long> ids = new ArrayList<>(rows.rowCount());
          long free = 0;
          Shortfall shortfall = null;
          for (Row row : rows) {
            free = row.getLong("free");
            if (row.getLong("id") != null) {
              ids.add(row.getLong("id"));
            }
            OffsetDateTime heldUntil = row.getOffsetDateTime("held_until");
            shortfall = new Shortfall((int) free, row.getLong("held").intValue(),
                heldUntil == null ? null : heldUntil.toInstant());
          }
          if (ids.size() == quantity) {
            return Future.succeededFuture(ids);
          }
          assert ids.isEmpty() : "a short claim reserved " + ids.size() + " keys";
          shortStock.remember(merchantId, skuId, shortfall);
          return Future.failedFuture(new OutOfStockException(skuId, quantity, shortfall));
        });
  }

  /**
   * True when a claim for {@code quantity} keys of the SKU came up short within the last
   * {@link ShortStock#MEMORY} and no keys came back since, as far as this instance saw: the caller may
   * answer "out of stock" without a transaction. A hint only; {@link #reserve} alone sells.
   */
  public boolean knownShort(String merchantId, String skuId, int quantity) {
    return shortStock.isShort(merchantId, skuId, quantity);
  }

  /**
   * While {@link #knownShort} holds for {@code quantity}: what the claim that came up short found ({@link Shortfall});
   * else null.
   */
  public Shortfall knownShortfall(String merchantId, String skuId, int quantity) {
    return shortStock.knownShortfall(merchantId, skuId, quantity);
  }

  /**
   * What a claim that came up short found: the SKU's keys free, and those orders awaiting payment hold. An order not
   * paid by its pay deadline expires then (the sweeper meets it within its lag) and its keys come back to stock.
   *
   * @param free keys free, fewer than were asked for
   * @param heldUnits keys orders awaiting payment hold, 0 or more
   * @param firstPayDeadline the first of those orders' pay deadlines; null when none is held
   */
  public record Shortfall(int free, int heldUnits, Instant firstPayDeadline) {
    public Shortfall {
      if (free < 0 || heldUnits < 0 || (heldUnits == 0) != (firstPayDeadline == null)) {
        throw new IllegalArgumentException("a shortfall of " + free + " free and " + heldUnits + " held keys, the"
            + " first held until " + firstPayDeadline);
      }
    }
  }

  /** {@link #reserve(SqlClient, String, String, int, String, OffsetDateTime)} in its own transaction. */
  public Future<List<Long>> reserve(String merchantId, String skuId, int quantity, String reservationRef,
      OffsetDateTime until) {
    return pool.withTransaction(tx -> reserve(tx, merchantId, skuId, quantity, reservationRef, until));
  }

  /**
   * What {@link #cancel} did: keys given back, and keys of the reservation a delivery had used already.
   *
   * @param released keys returned to stock now
   * @param delivered keys of the reservation already delivered (they stay sold)
   */
  public record Cancelled(long released, long delivered) {}

  /**
   * Gives the keys still reserved under {@code reservationRef} back and counts those a delivery used, in
   * one statement (atomic without a transaction around it).
   */
  public Future<Cancelled> cancel(SqlClient client, String merchantId, String reservationRef) {
    checkRef(reservationRef);
    return client.preparedQuery(CANCEL).execute(Tuple.of(merchantId, reservationRef)).map(rows -> {
      Row row = rows.iterator().next();
      Cancelled cancelled = new Cancelled(row.getLong("released"), row.getLong("delivered"));
      if (cancelled.released() > 0) {
        shortStock.forgetMerchant(merchantId);
      }
      return cancelled;
    });
  }

  /**
   * Marks reserved keys delivered (sold); fails, so the caller rolls back, unless every one of
   * {@code stockKeyIds} was reserved under {@code reservationRef}.
   */
  public Future<Void> deliver(SqlClient tx, String merchantId, String reservationRef, List<Long> stockKeyIds) {
    checkRef(reservationRef);
    Long[] ids = stockKeyIds.toArray(new Long[0]);
    return tx.preparedQuery(DELIVER)
        .execute(Tuple.tuple().addString(merchantId).addString(reservationRef).addArrayOfLong(ids)).compose(rows ->
        rows.rowCount() == ids.length
            ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException("only " + rows.rowCount() + " of " + ids.length
                + " keys were reserved under this reservation")));
  }

  /**
   * Returns at most {@code batchMax} keys whose reservation expired at {@code now} to the available
   * stock; answers what was released. For the sweeper: any number of gateways may call it at once.
   * One statement across merchants, each row independent (the documented exception to "one
   * merchant per transaction", like the fingerprint table).
   */
  public Future<List<ReleasedKey>> releaseExpired(OffsetDateTime now, int batchMax) {
    if (batchMax <= 0) {
      throw new IllegalArgumentException("batch max must be greater than 0, but was " + batchMax);
    }
    return pool.preparedQuery(RELEASE_EXPIRED).execute(Tuple.of(now, batchMax)).map(rows -> {
      List<ReleasedKey> released = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> released.add(new ReleasedKey(row.getString("merchant_id"), row.getString("sku_id"),
          row.getLong("id"), row.getString("reservation_ref"))));
      released.forEach(key -> shortStock.forgetSku(key.merchantId(), key.skuId()));
      return released;
    });
  }

  /**
   * Opens the merchant's keys with these ids, for a delivery. The text is as uploaded; whoever hands
   * it on makes it a card key ({@code DeliveredKey.of}), which also refuses one stored before the
   * card-key rule on characters was checked at upload.
   */
  public Future<List<OpenedKey>> open(SqlClient client, String merchantId, List<Long> stockKeyIds) {
    return client.preparedQuery(OPEN)
        .execute(Tuple.tuple().addString(merchantId).addArrayOfLong(stockKeyIds.toArray(new Long[0])))
        .compose(rows -> opened(merchantId, rows));
  }

  /**
   * Opens the merchant's keys in {@code rows}, read with {@link #SEALED_COLUMNS} by a statement that took them (so
   * taking, remembering and reading the keys of a delivery is one statement); as {@link #open}.
   */
  public Future<List<OpenedKey>> opened(String merchantId, Iterable<Row> rows) {
    List<Row> list = new ArrayList<>();
    rows.forEach(list::add);
    if (list.size() <= INLINE_CRYPTO_KEYS_MAX) {
      return Future.succeededFuture(openRows(merchantId, list));
    }
    return vertx.executeBlocking(() -> openRows(merchantId, list), false);
  }

  private List<OpenedKey> openRows(String merchantId, List<Row> rows) {
    List<OpenedKey> keys = new ArrayList<>(rows.size());
    for (Row row : rows) {
      KeyVault.Sealed sealed = new KeyVault.Sealed(row.getString("vault_key_id"), row.getBuffer("sealed_key").getBytes());
      byte[] plain = vault.open(sealed, associatedData(merchantId, row.getString("sku_id")));
      keys.add(new OpenedKey(row.getLong("id"), new String(plain, StandardCharsets.UTF_8)));
    }
    return keys;
  }

  /** How many keys of each of the merchant's {@code skuIds} are in each state, in one statement. */
  public Future<Map<String, StockCounts>> counts(String merchantId, List<String> skuIds) {
    Tuple args = Tuple.tuple().addString(merchantId).addArrayOfString(skuIds.toArray(new String[0]));
    return pool.preparedQuery(COUNTS).execute(args)
        .map(rows -> {
          Map<String, StockCounts> counts = new HashMap<>();
          skuIds.forEach(id -> counts.put(id, StockCounts.EMPTY));
          for (Row row : rows) {
            counts.put(row.getString("sku_id"), countsOf(row));
          }
          return counts;
        });
  }

  /** How many keys of the SKU are in each state. */
  public Future<StockCounts> counts(String merchantId, String skuId) {
    return counts(merchantId, List.of(skuId)).map(counts -> counts.get(skuId));
  }

  private static StockCounts countsOf(Row row) {
    long total = row.getLong("total");
    long available = row.getLong("available");
    long reserved = row.getLong("reserved");
    long delivered = total - available - reserved;
    // Keys are never deleted and every one stored raised the total: the rest cannot be negative.
    assert delivered >= 0 : "SKU " + row.getString("sku_id") + " has " + total + " keys in all but " + available
        + " available and " + reserved + " reserved";
    return new StockCounts(available, reserved, Math.max(0, delivered));
  }

  /** Binds a sealed key to its merchant and SKU: a ciphertext moved to another row fails to open. */
  private static byte[] associatedData(String merchantId, String skuId) {
    return ("stock-key:" + merchantId + ":" + skuId).getBytes(StandardCharsets.UTF_8);
  }

  private static void checkRef(String reservationRef) {
    Objects.requireNonNull(reservationRef, "reservationRef");
    if (reservationRef.isEmpty() || reservationRef.length() > RESERVATION_REF_LENGTH_MAX) {
      throw new IllegalArgumentException("reservation ref must have 1 to " + RESERVATION_REF_LENGTH_MAX
          + " characters, but had " + reservationRef.length());
    }
  }

  /** Keys sealed and fingerprinted, ready for {@link #upload}; holds no plaintext. */
  public static final class PreparedKeys {
    private final String merchantId;
    private final String skuId;
    private final String vaultKeyId;
    private final Buffer[] sealed;
    private final Buffer[] fingerprints;

    PreparedKeys(String merchantId, String skuId, String vaultKeyId, Buffer[] sealed, Buffer[] fingerprints) {
      this.merchantId = merchantId;
      this.skuId = skuId;
      this.vaultKeyId = vaultKeyId;
      this.sealed = sealed;
      this.fingerprints = fingerprints;
    }

    public int size() {
      return sealed.length;
    }

    /** The fingerprints, in upload order (for evidence). */
    public List<byte[]> fingerprints() {
      return Arrays.stream(fingerprints).map(Buffer::getBytes).toList();
    }

    @Override
    public String toString() {
      return "PreparedKeys[" + skuId + ", " + sealed.length + " keys]";
    }
  }

  /**
   * One stock key opened from the vault, in the clear. {@link #toString()} never shows the text, so it
   * cannot slip into a log line by accident.
   *
   * @param stockKeyId the row in {@code stock_keys}
   * @param text the key's text, as uploaded
   */
  public record OpenedKey(long stockKeyId, String text) {
    public OpenedKey {
      Objects.requireNonNull(text, "text");
    }

    @Override
    public String toString() {
      return "OpenedKey[" + stockKeyId + ", redacted]";
    }
  }

  /** What an upload stored. */
  public record UploadResult(String skuId, int accepted) {}

  /** A key whose reservation expired and went back to the available stock. */
  public record ReleasedKey(String merchantId, String skuId, long stockKeyId, String reservationRef) {}

  /** Keys of one SKU per state. */
  public record StockCounts(long available, long reserved, long delivered) {
    public static final StockCounts EMPTY = new StockCounts(0, 0, 0);

    public JsonObject toJson() {
      return new JsonObject().put("available", available).put("reserved", reserved).put("delivered", delivered);
    }
  }

  /** Fewer keys were free than a reservation asked for; nothing was reserved once rolled back. */
  public static final class OutOfStockException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int requested;
    private final transient Shortfall shortfall;

    public OutOfStockException(String skuId, int requested, Shortfall shortfall) {
      super("SKU " + skuId + " had " + shortfall.free() + " free keys, " + requested + " were asked for", null, false,
          false);
      this.requested = requested;
      this.shortfall = shortfall;
    }

    /** What the claim found: keys free, and those orders awaiting payment hold. */
    public Shortfall shortfall() {
      return shortfall;
    }

    public int requested() {
      return requested;
    }
  }
}
