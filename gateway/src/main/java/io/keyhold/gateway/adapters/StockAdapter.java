package io.keyhold.gateway.adapters;

import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.Identifiers;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.MerchantAdapterFactory;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.Refusal;
import io.keyhold.adapters.spi.ReplaceReason;
import io.keyhold.adapters.spi.Reservation;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.gateway.store.Ids;
import io.keyhold.gateway.store.StockVault;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The built-in {@code stock} adapter: keys come from the merchant's consignment stock in the
 * {@link StockVault}, not from a remote shop. Reservations hold keys with {@code FOR UPDATE SKIP
 * LOCKED} claims; a delivery takes the order's reserved keys (or, when the reservation lapsed or there
 * was none, free keys) and remembers which key went to which unit in {@code stock_deliveries}, so
 * asking again answers the same key; a replacement takes a new free key per attempt.
 *
 * <p>Stateful, so it is not found through {@code ServiceLoader}: the gateway builds its
 * {@link Factory} with the pool and the vault. It passes the adapter contract kit
 * ({@code StockAdapterContractTest}).
 */
public final class StockAdapter implements MerchantAdapter {
  public static final String TYPE = StockVault.ADAPTER_TYPE;
  public static final String RESERVATION_PREFIX = "rsv";
  /** The attempt number of a unit's first delivery in {@code stock_deliveries}. */
  static final int FIRST_DELIVERY = 0;

  private static final String SKU_EXISTS = "SELECT 1 FROM skus WHERE merchant_id = $1 AND id = $2";
  private static final String DELIVERED_UNITS = "SELECT unit_index, attempt, stock_key_id FROM stock_deliveries"
      + " WHERE merchant_id = $1 AND order_ref = $2";
  /**
   * What follows a take ({@code taken}: the keys, sealed): the keys go to the units $6 (ascending) in id order, are
   * remembered as delivered to order $5 in attempt $7, and are answered with their unit — taking, remembering and
   * reading a delivery's keys is one statement.
   */
  private static final String ASSIGN_AND_REMEMBER = ", assigned AS (SELECT t.id, t.sku_id, t.vault_key_id,"
      + " t.sealed_key, u.unit FROM (SELECT taken.*, row_number() OVER (ORDER BY taken.id) AS pos FROM taken) t"
      + " JOIN unnest($6::int[]) WITH ORDINALITY AS u(unit, pos) ON u.pos = t.pos),"
      + " remembered AS (INSERT INTO stock_deliveries (merchant_id, order_ref, unit_index, attempt, sku_id,"
      + " stock_key_id) SELECT $1, $5, a.unit, $7, $2, a.id FROM assigned a)"
      + " SELECT id, sku_id, vault_key_id, sealed_key, unit FROM assigned";
  /**
   * Up to $4 keys of the reservation $3, delivered ({@link #ASSIGN_AND_REMEMBER}); the keys are updated by primary key,
   * their ids as one array, so no plan reaches them through the merchant alone (see {@link StockVault#CLAIM}).
   */
  private static final String TAKE_RESERVED = "WITH taken AS (UPDATE stock_keys SET state = 'delivered',"
      + " reserved_until = NULL WHERE merchant_id = $1 AND id = ANY(ARRAY(SELECT id FROM stock_keys"
      + " WHERE merchant_id = $1 AND sku_id = $2 AND reservation_ref = $3 AND state = 'reserved' ORDER BY id LIMIT $4"
      + " FOR UPDATE))"
      + " RETURNING " + StockVault.SEALED_COLUMNS + ")" + ASSIGN_AND_REMEMBER;
  /**
   * Up to $4 free keys straight to delivered under the reference $3, through the partial index of available keys
   * ({@link #ASSIGN_AND_REMEMBER}).
   */
  private static final String TAKE_FREE = "WITH picked AS (SELECT id FROM stock_keys"
      + " WHERE merchant_id = $1 AND sku_id = $2 AND state = 'available' ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED),"
      + " taken AS (UPDATE stock_keys s SET state = 'delivered', reservation_ref = $3, reserved_until = NULL"
      + " WHERE s.merchant_id = $1 AND s.id = ANY(ARRAY(SELECT id FROM picked))"
      + " RETURNING s.id, s.sku_id, s.vault_key_id, s.sealed_key)" + ASSIGN_AND_REMEMBER;

  private final Pool pool;
  private final Pool enginePool;
  private final StockVault vault;
  private final String merchantId;

  StockAdapter(Pool pool, Pool enginePool, StockVault vault, String merchantId) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.enginePool = Objects.requireNonNull(enginePool, "enginePool");
    this.vault = Objects.requireNonNull(vault, "vault");
    this.merchantId = Identifiers.require("merchantId", merchantId);
  }

  /**
   * Builds stock adapters for merchants; handed the database by the gateway: the API's pool for
   * reservations (a checkout waits for them), the order engine's for what its effects ask (deliveries,
   * replacements, giving a reservation back), so keys reach paid buyers however many others are checking
   * out.
   */
  public static final class Factory implements MerchantAdapterFactory {
    private final Pool pool;
    private final Pool enginePool;
    private final StockVault vault;

    public Factory(Pool pool, Pool enginePool, StockVault vault) {
      this.pool = pool;
      this.enginePool = enginePool;
      this.vault = vault;
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public Future<MerchantAdapter> create(AdapterContext context) {
      try {
        return Future.succeededFuture(new StockAdapter(pool, enginePool, vault, context.merchantId()));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
  }

  private static MerchantRefusedException outOfStock(int quantity) {
    return new MerchantRefusedException(Refusal.OUT_OF_STOCK, "fewer than " + quantity + " keys are free");
  }

  @Override
  public Future<Reservation> reserve(String skuId, int quantity, Instant until) {
    try {
      Identifiers.require("skuId", skuId);
      Reservation.requireQuantity(quantity);
      Objects.requireNonNull(until, "until");
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (vault.knownShort(merchantId, skuId, quantity)) {
      // A flash sale's sold-out crowd: answered from memory, no transaction each.
      return Future.failedFuture(outOfStock(quantity));
    }
    String reservationId = Ids.newId(RESERVATION_PREFIX);
    // The claim is one statement, all or nothing; only a claim that found nothing asks whether the SKU exists.
    return vault.reserve(pool, merchantId, skuId, quantity, reservationId, until.atOffset(ZoneOffset.UTC))
        .recover(failure -> failure instanceof StockVault.OutOfStockException
            ? pool.preparedQuery(SKU_EXISTS).execute(Tuple.of(merchantId, skuId)).compose(rows ->
                Future.failedFuture(rows.size() == 0
                    ? new MerchantRefusedException(Refusal.UNKNOWN_SKU, "no such SKU")
                    : outOfStock(quantity)))
            : Future.failedFuture(failure))
        .map(ids -> new Reservation(reservationId, merchantId, skuId, quantity, until));
  }

  @Override
  public Future<List<DeliveredKey>> provide(OrderRef order, List<UnitIndex> units) {
    return enginePool.withTransaction(tx -> provide(tx, order, units));
  }

  /**
   * {@link #provide(OrderRef, List)} in the caller's transaction {@code tx}: the keys are taken, and remembered as
   * the order's, only if it commits. The engine stores the delivery in the same transaction, so a key leaves the
   * stock exactly when its order holds it.
   */
  public Future<List<DeliveredKey>> provide(SqlClient tx, OrderRef order, List<UnitIndex> units) {
    return provide(tx, order, units, true);
  }

  /**
   * {@link #provide(SqlClient, OrderRef, List)} of units the order never gave a key, as the caller's transaction
   * decides the delivery on an order whose version check guards it: nothing can be remembered for them unless that
   * check is to fail, so the order's earlier deliveries are not read. A unit remembered all the same (a delivery
   * taken by the two-step path, whose order change was not stored) makes the remembering insert fail on its key, and
   * the transaction roll back.
   */
  public Future<List<DeliveredKey>> provideFirst(SqlClient tx, OrderRef order, List<UnitIndex> units) {
    return provide(tx, order, units, false);
  }

  private Future<List<DeliveredKey>> provide(SqlClient tx, OrderRef order, List<UnitIndex> units,
      boolean lookUpEarlier) {
    try {
      checkOrder(order);
      checkUnits(units);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Future<Map<Integer, Map<Integer, Long>>> earlier = lookUpEarlier ? deliveries(tx, order)
        : Future.succeededFuture(Map.of());
    return earlier.compose(known -> {
      Map<Integer, Long> first = known.getOrDefault(FIRST_DELIVERY, Map.of());
      Map<Integer, Long> again = new TreeMap<>();
      List<Integer> missing = new ArrayList<>();
      units.stream().map(UnitIndex::value).sorted().forEach(unit -> {
        Long delivered = first.get(unit);
        if (delivered != null) {
          again.put(unit, delivered);
        } else {
          missing.add(unit);
        }
      });
      return take(tx, order, missing).compose(taken -> {
        if (again.isEmpty() && taken.isEmpty()) {
          return Future.failedFuture(new MerchantRefusedException(Refusal.OUT_OF_STOCK, "no key is free"));
        }
        return keysOf(tx, again, taken);
      });
    });
  }

  @Override
  public Future<DeliveredKey> replace(OrderRef order, UnitIndex unit, int attempt, ReplaceReason reason) {
    try {
      checkOrder(order);
      Objects.requireNonNull(unit, "unit");
      Objects.requireNonNull(reason, "reason");
      if (attempt < 1 || attempt > REPLACE_ATTEMPTS_MAX) {
        throw new IllegalArgumentException("attempt must be between 1 and " + REPLACE_ATTEMPTS_MAX + ", but was "
            + attempt);
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return enginePool.withTransaction(tx -> deliveries(tx, order).compose(known -> {
      Map<Integer, Long> first = known.get(FIRST_DELIVERY);
      if (first == null || first.isEmpty()) {
        return Future.failedFuture(new MerchantRefusedException(Refusal.UNKNOWN_ORDER, "nothing was delivered"));
      }
      if (!first.containsKey(unit.value())) {
        return Future.failedFuture(new MerchantRefusedException(Refusal.NOT_DELIVERED, unit + " was never delivered"));
      }
      Long already = known.getOrDefault(attempt, Map.of()).get(unit.value());
      if (already != null) {
        return keysOf(tx, Map.of(unit.value(), already), List.of()).map(keys -> keys.get(0));
      }
      return takeInto(tx, TAKE_FREE, order.orderId(), order, attempt, List.of(unit.value())).compose(taken -> {
        if (taken.isEmpty()) {
          return Future.failedFuture(new MerchantRefusedException(Refusal.OUT_OF_STOCK, "no key is free"));
        }
        return keysOf(tx, Map.of(), taken).map(keys -> keys.get(0));
      });
    }));
  }

  @Override
  public Future<Void> cancel(Reservation reservation) {
    if (reservation == null || !merchantId.equals(reservation.merchantId())) {
      return Future.failedFuture(new IllegalArgumentException("the reservation must be one of merchant " + merchantId));
    }
    return vault.cancel(enginePool, merchantId, reservation.reservationId())
        .compose(cancelled -> cancelled.delivered() > 0
            ? Future.failedFuture(new MerchantRefusedException(Refusal.RESERVATION_CONSUMED,
                "a delivery used the reservation"))
            : Future.succeededFuture());
  }

  /** Attempt → unit → stock key of what was delivered for the order so far. */
  private Future<Map<Integer, Map<Integer, Long>>> deliveries(SqlClient tx, OrderRef order) {
    return tx.preparedQuery(DELIVERED_UNITS).execute(Tuple.of(merchantId, order.orderId())).map(rows -> {
      Map<Integer, Map<Integer, Long>> known = new HashMap<>();
      for (Row row : rows) {
        known.computeIfAbsent(row.getInteger("attempt"), a -> new HashMap<>())
            .put(row.getInteger("unit_index"), row.getLong("stock_key_id"));
      }
      return known;
    });
  }

  /**
   * Keys for the order's first delivery to {@code units} (ascending): its reserved keys first, then free ones; each
   * remembered and answered sealed with its unit. Fewer when the stock runs short.
   */
  private Future<List<Row>> take(SqlClient tx, OrderRef order, List<Integer> units) {
    if (units.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    Future<List<Row>> reserved = order.reservation()
        .map(ref -> takeInto(tx, TAKE_RESERVED, ref, order, FIRST_DELIVERY, units))
        .orElse(Future.succeededFuture(List.of()));
    return reserved.compose(fromReservation -> {
      if (fromReservation.size() == units.size()) {
        return Future.succeededFuture(fromReservation);
      }
      String ref = order.reservation().orElse(order.orderId());
      return takeInto(tx, TAKE_FREE, ref, order, FIRST_DELIVERY, units.subList(fromReservation.size(), units.size()))
          .map(free -> {
            List<Row> all = new ArrayList<>(fromReservation);
            all.addAll(free);
            return all;
          });
    });
  }

  /** Runs a take ({@link #TAKE_RESERVED} or {@link #TAKE_FREE}) of keys for {@code units}, in attempt {@code attempt}. */
  private Future<List<Row>> takeInto(SqlClient tx, String take, String ref, OrderRef order, int attempt,
      List<Integer> units) {
    return tx.preparedQuery(take).execute(Tuple.tuple().addString(merchantId).addString(order.skuId()).addString(ref)
            .addInteger(units.size()).addString(order.orderId()).addArrayOfInteger(units.toArray(new Integer[0]))
            .addInteger(attempt))
        .map(rows -> {
          List<Row> taken = new ArrayList<>(rows.rowCount());
          rows.forEach(taken::add);
          return taken;
        });
  }

  /** The keys, sorted by unit, of units delivered before ({@code again}: unit → stock key) and of those just taken. */
  private Future<List<DeliveredKey>> keysOf(SqlClient tx, Map<Integer, Long> again, List<Row> taken) {
    Future<List<StockVault.OpenedKey>> earlier = again.isEmpty() ? Future.succeededFuture(List.of())
        : vault.open(tx, merchantId, new ArrayList<>(again.values()));
    return earlier.compose(before -> vault.opened(merchantId, taken).map(now -> {
      Map<Long, String> text = new HashMap<>();
      before.forEach(key -> text.put(key.stockKeyId(), key.text()));
      now.forEach(key -> text.put(key.stockKeyId(), key.text()));
      Map<Integer, Long> byUnit = new TreeMap<>(again);
      taken.forEach(row -> byUnit.put(row.getInteger("unit"), row.getLong("id")));
      List<DeliveredKey> keys = new ArrayList<>(byUnit.size());
      byUnit.forEach((unit, id) -> keys.add(DeliveredKey.of(UnitIndex.of(unit), text.get(id))));
      return keys;
    }));
  }

  private void checkOrder(OrderRef order) {
    Objects.requireNonNull(order, "order");
    if (!merchantId.equals(order.merchantId())) {
      throw new IllegalArgumentException("the order must be one of merchant " + merchantId + ", but was of "
          + order.merchantId());
    }
  }

  private static void checkUnits(List<UnitIndex> units) {
    Objects.requireNonNull(units, "units");
    if (units.isEmpty() || units.size() > UNITS_PER_CALL_MAX) {
      throw new IllegalArgumentException("units must hold 1 to " + UNITS_PER_CALL_MAX + " units, but held "
          + units.size());
    }
    Set<UnitIndex> seen = new HashSet<>();
    for (UnitIndex unit : units) {
      if (!seen.add(Objects.requireNonNull(unit, "unit"))) {
        throw new IllegalArgumentException(unit + " appears twice");
      }
    }
  }

  @Override
  public String toString() {
    return "StockAdapter[" + merchantId + "]";
  }
}
