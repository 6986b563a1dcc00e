package io.keyhold.gateway.engine;

import io.keyhold.escrow.Accounts;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Posting;
import io.keyhold.gateway.store.Ids;
import io.keyhold.gateway.store.Wire;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Merchants' deposits (docs/money.md): the ledger account {@code merchant:<id>:deposit}, and its
 * {@code merchant_deposits} row (currency, balance, floor) kept in step with the postings in the same transaction.
 * The operator tops a deposit up and withdraws from it (never below its floor); deadlines draw compensation from it
 * under a row lock ({@link #lockAvailable}); a merchant whose deposit is below its floor takes no new checkouts.
 *
 * <p>A top-up or withdrawal is one ledger transaction {@code deposit/<merchant id>/<dmv id>} of two postings,
 * {@code deposits:in} and the merchant's deposit, with no order.
 */
public final class Deposits {
  /** The most ledger postings one history answer lists, newest first. */
  public static final int HISTORY_ITEMS_MAX = 100;
  /** The largest single top-up, withdrawal or floor, in minor units: the same bound as a price. */
  public static final long AMOUNT_MINOR_MAX = 100_000_000_000L;
  private static final String MOVE_PREFIX = "dmv";

  private static final String LOCK = "SELECT merchant_id, currency, balance_minor FROM merchant_deposits"
      + " WHERE merchant_id = ANY($1) ORDER BY merchant_id FOR UPDATE";
  private static final String FIND = "SELECT d.merchant_id, d.currency, d.balance_minor, d.floor_minor, d.updated_at"
      + " FROM merchant_deposits d WHERE d.merchant_id = $1";
  private static final String MERCHANT = "SELECT 1 FROM merchants WHERE id = $1";
  private static final String TOP_UP = "INSERT INTO merchant_deposits AS d (merchant_id, currency, balance_minor,"
      + " updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (merchant_id) DO UPDATE"
      + " SET balance_minor = d.balance_minor + excluded.balance_minor, updated_at = excluded.updated_at"
      + " WHERE d.currency = excluded.currency"
      + " RETURNING merchant_id, currency, balance_minor, floor_minor, updated_at";
  private static final String WITHDRAW = "UPDATE merchant_deposits SET balance_minor = balance_minor - $3,"
      + " updated_at = $4 WHERE merchant_id = $1 AND currency = $2 AND balance_minor - $3 >= floor_minor"
      + " RETURNING merchant_id, currency, balance_minor, floor_minor, updated_at";
  private static final String SET_FLOOR = "INSERT INTO merchant_deposits AS d (merchant_id, currency, floor_minor,"
      + " updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (merchant_id) DO UPDATE"
      + " SET floor_minor = excluded.floor_minor, updated_at = excluded.updated_at WHERE d.currency = excluded.currency"
      + " RETURNING merchant_id, currency, balance_minor, floor_minor, updated_at";
  private static final String POST = "INSERT INTO ledger_postings (merchant_id, order_id, txn_id, account,"
      + " amount_minor, currency, created_at) VALUES ($1, NULL, $2, $3, $4, $5, $6), ($1, NULL, $2, $7, $8, $5, $6)";
  /** Newest first, through the partial index of deposit postings, whose condition it repeats so that it is used. */
  private static final String HISTORY = "SELECT txn_id, order_id, amount_minor, currency, created_at"
      + " FROM ledger_postings WHERE merchant_id = $1 AND account = $2 AND account LIKE 'merchant:%:deposit'"
      + " ORDER BY id DESC LIMIT $3";

  private final Pool pool;
  private final Clock clock;
  private final Consumer<String> changed;

  /** {@code changed} hears the id of every merchant whose deposit changed here (a cache of checkout terms). */
  public Deposits(Pool pool, Clock clock, Consumer<String> changed) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.changed = Objects.requireNonNull(changed, "changed");
  }

  /**
   * Locks the deposits of {@code merchantIds} in {@code tx} (in merchant order, so two sweeps never deadlock) and
   * answers what each holds; a merchant without a deposit is absent. Held until {@code tx} ends, so what a
   * transition pays from it is paid once.
   */
  static Future<Map<String, Money>> lockAvailable(SqlClient tx, Collection<String> merchantIds) {
    if (merchantIds.isEmpty()) {
      return Future.succeededFuture(new HashMap<>());
    }
    return tx.preparedQuery(LOCK).execute(Tuple.of(merchantIds.toArray(new String[0]))).map(rows -> {
      Map<String, Money> available = new HashMap<>();
      for (Row row : rows) {
        available.put(row.getString("merchant_id"),
            Money.of(row.getLong("balance_minor"), row.getString("currency")));
      }
      return available;
    });
  }

  /** What a transition's postings took from (negative) or gave to a merchant's deposit, or null for nothing. */
  static Money movedFrom(String merchantId, List<Posting> postings) {
    String account = Accounts.merchantDeposit(merchantId);
    Money moved = null;
    for (Posting posting : postings) {
      if (posting.account().equals(account)) {
        moved = moved == null ? posting.amount() : moved.plus(posting.amount());
      }
    }
    return moved;
  }

  /** The merchant's deposit as the operator and the merchant see it; a merchant without one holds nothing. */
  public Future<JsonObject> get(String merchantId) {
    return merchantExists(pool, merchantId).compose(ok -> pool.preparedQuery(FIND).execute(Tuple.of(merchantId)))
        .map(rows -> rows.size() == 0 ? none(merchantId) : view(rows.iterator().next()));
  }

  /** Adds {@code amount} to the deposit through {@code tx}; the first top-up fixes the deposit's currency. */
  public Future<JsonObject> topUp(SqlClient tx, String merchantId, Money amount) {
    Instant now = now();
    return merchantExists(tx, merchantId)
        .compose(ok -> tx.preparedQuery(TOP_UP).execute(Tuple.of(merchantId, code(amount), amount.minorUnits(),
            now.atOffset(ZoneOffset.UTC))))
        .compose(rows -> rows.size() == 0 ? currencyMismatch(amount)
            : post(tx, merchantId, amount, now).map(view(rows.iterator().next())))
        .onSuccess(view -> changed.accept(merchantId));
  }

  /** Takes {@code amount} out of the deposit through {@code tx}, refused when it would leave less than the floor. */
  public Future<JsonObject> withdraw(SqlClient tx, String merchantId, Money amount) {
    Instant now = now();
    return merchantExists(tx, merchantId)
        .compose(ok -> tx.preparedQuery(WITHDRAW).execute(Tuple.of(merchantId, code(amount), amount.minorUnits(),
            now.atOffset(ZoneOffset.UTC))))
        .compose(rows -> {
          if (rows.size() == 1) {
            return post(tx, merchantId, amount.negate(), now).map(view(rows.iterator().next()));
          }
          return tx.preparedQuery(FIND).execute(Tuple.of(merchantId)).compose(found -> {
            if (found.size() == 1 && !found.iterator().next().getString("currency").equals(code(amount))) {
              return currencyMismatch(amount);
            }
            return Future.failedFuture(Refusal.of(Refusal.Code.DEPOSIT_BELOW_FLOOR,
                "The withdrawal would leave the deposit below its floor (or it holds less)"));
          });
        })
        .onSuccess(view -> changed.accept(merchantId));
  }

  /** Sets the least the deposit must hold for the merchant to take new checkouts. */
  public Future<JsonObject> setFloor(SqlClient tx, String merchantId, Money floor) {
    Instant now = now();
    return merchantExists(tx, merchantId)
        .compose(ok -> tx.preparedQuery(SET_FLOOR).execute(Tuple.of(merchantId, code(floor), floor.minorUnits(),
            now.atOffset(ZoneOffset.UTC))))
        .compose(rows -> rows.size() == 0 ? currencyMismatch(floor)
            : Future.succeededFuture(view(rows.iterator().next())))
        .onSuccess(view -> changed.accept(merchantId));
  }

  /** The deposit account's ledger postings, newest first (at most {@link #HISTORY_ITEMS_MAX}). */
  public Future<JsonObject> history(String merchantId) {
    return merchantExists(pool, merchantId)
        .compose(ok -> pool.preparedQuery(HISTORY).execute(Tuple.of(merchantId, Accounts.merchantDeposit(merchantId),
            HISTORY_ITEMS_MAX)))
        .map(rows -> {
          JsonArray items = new JsonArray();
          for (Row row : rows) {
            String orderId = row.getString("order_id");
            long amount = row.getLong("amount_minor");
            items.add(new JsonObject()
                .put("txn_id", row.getString("txn_id"))
                .put("kind", orderId != null ? "compensation" : amount > 0 ? "top_up" : "withdrawal")
                .put("order_id", orderId)
                .put("amount", Wire.money(amount, row.getString("currency")))
                .put("at", Wire.time(row.getOffsetDateTime("created_at"))));
          }
          return new JsonObject().put("merchant_id", merchantId).put("items", items);
        });
  }

  private Future<Void> post(SqlClient tx, String merchantId, Money amount, Instant now) {
    String txnId = "deposit/" + merchantId + "/" + Ids.newId(MOVE_PREFIX);
    return tx.preparedQuery(POST).execute(Tuple.tuple().addString(merchantId).addString(txnId)
            .addString(Accounts.merchantDeposit(merchantId)).addLong(amount.minorUnits()).addString(code(amount))
            .addOffsetDateTime(now.atOffset(ZoneOffset.UTC)).addString(Accounts.DEPOSITS_IN)
            .addLong(-amount.minorUnits()))
        .mapEmpty();
  }

  private static Future<Void> merchantExists(SqlClient client, String merchantId) {
    return client.preparedQuery(MERCHANT).execute(Tuple.of(merchantId)).compose(rows -> rows.size() == 1
        ? Future.succeededFuture() : Future.failedFuture(Refusal.of(Refusal.Code.NOT_FOUND, "No such merchant")));
  }

  private static <T> Future<T> currencyMismatch(Money amount) {
    return Future.failedFuture(Refusal.of(Refusal.Code.DEPOSIT_CURRENCY_MISMATCH,
        "The deposit is held in another currency than " + code(amount)));
  }

  private static JsonObject view(Row row) {
    String currency = row.getString("currency");
    long balance = row.getLong("balance_minor");
    long floor = row.getLong("floor_minor");
    return new JsonObject()
        .put("merchant_id", row.getString("merchant_id"))
        .put("balance", Wire.money(balance, currency))
        .put("floor", Wire.money(floor, currency))
        .put("below_floor", balance < floor)
        .put("updated_at", Wire.time(row.getOffsetDateTime("updated_at")));
  }

  private static JsonObject none(String merchantId) {
    return new JsonObject().put("merchant_id", merchantId).putNull("balance").putNull("floor")
        .put("below_floor", false).putNull("updated_at");
  }

  private static String code(Money amount) {
    return amount.currency().getCurrencyCode();
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }
}
