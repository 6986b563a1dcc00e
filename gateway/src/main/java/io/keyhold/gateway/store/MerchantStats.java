package io.keyhold.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Per-merchant daily counts folded from the evidence (schema V8): the fold's cursor over {@code evidence_events},
 * the batches it reads, the counts it adds, and the window of days a score reads. What an event counts for is
 * decided by the engine; this class keeps and finds.
 */
public final class MerchantStats {
  /** Evidence types a first delivery is judged against: the order's terms, its funding, its missed deadlines. */
  public static final List<String> CONTEXT_TYPES = List.of("order.placed", "order.funded",
      "unit.replacement_requested");

  private static final String CLAIM = "SELECT tx::text AS tx, order_id, seq FROM merchant_stats_cursor"
      + " WHERE name = 'evidence' FOR UPDATE SKIP LOCKED";
  // Rows of transactions still running (or younger than one still running) wait for a later fold: below the
  // snapshot's xmin every transaction is finished, so nothing can appear behind the cursor afterwards.
  private static final String AFTER = "SELECT tx::text AS tx, merchant_id, order_id, seq, type, at, data"
      + " FROM evidence_events WHERE (tx, order_id, seq) > ($1::text::xid8, $2, $3)"
      + " AND tx < pg_snapshot_xmin(pg_current_snapshot())"
      // Qualified: a bare "tx" here would name the text output column, and "1001" sorts before "999".
      + " ORDER BY evidence_events.tx, evidence_events.order_id, evidence_events.seq LIMIT $4";
  private static final String CONTEXT = "SELECT tx::text AS tx, merchant_id, order_id, seq, type, at, data"
      + " FROM evidence_events WHERE (merchant_id, order_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
      + " AND type = ANY($3) ORDER BY order_id, seq";
  private static final String ADD = "INSERT INTO merchant_stats_daily AS s (merchant_id, day, deliveries_on_time,"
      + " deliveries_late, keys_checked, keys_invalid, resupplies_succeeded, resupplies_failed, orders_closed,"
      + " orders_refunded, disputes_decided, disputes_lost, delivery_ms_buckets)"
      + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
      + " ON CONFLICT (merchant_id, day) DO UPDATE SET"
      + " deliveries_on_time = s.deliveries_on_time + excluded.deliveries_on_time,"
      + " deliveries_late = s.deliveries_late + excluded.deliveries_late,"
      + " keys_checked = s.keys_checked + excluded.keys_checked,"
      + " keys_invalid = s.keys_invalid + excluded.keys_invalid,"
      + " resupplies_succeeded = s.resupplies_succeeded + excluded.resupplies_succeeded,"
      + " resupplies_failed = s.resupplies_failed + excluded.resupplies_failed,"
      + " orders_closed = s.orders_closed + excluded.orders_closed,"
      + " orders_refunded = s.orders_refunded + excluded.orders_refunded,"
      + " disputes_decided = s.disputes_decided + excluded.disputes_decided,"
      + " disputes_lost = s.disputes_lost + excluded.disputes_lost,"
      + " delivery_ms_buckets = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0)"
      + " FROM unnest(s.delivery_ms_buckets, excluded.delivery_ms_buckets) WITH ORDINALITY AS u(a, b, i) ORDER BY i)";
  private static final String ADVANCE = "UPDATE merchant_stats_cursor SET tx = $1::text::xid8, order_id = $2,"
      + " seq = $3, events_folded = events_folded + $4, folded_at = $5 WHERE name = 'evidence'";
  private static final String SUMS = "sum(s.deliveries_on_time)::bigint AS deliveries_on_time,"
      + " sum(s.deliveries_late)::bigint AS deliveries_late, sum(s.keys_checked)::bigint AS keys_checked,"
      + " sum(s.keys_invalid)::bigint AS keys_invalid, sum(s.resupplies_succeeded)::bigint AS resupplies_succeeded,"
      + " sum(s.resupplies_failed)::bigint AS resupplies_failed, sum(s.orders_closed)::bigint AS orders_closed,"
      + " sum(s.orders_refunded)::bigint AS orders_refunded, sum(s.disputes_decided)::bigint AS disputes_decided,"
      + " sum(s.disputes_lost)::bigint AS disputes_lost";
  private static final String WINDOW = "SELECT m.id, m.name, s.deliveries_on_time, s.deliveries_late, s.keys_checked,"
      + " s.keys_invalid, s.resupplies_succeeded, s.resupplies_failed, s.orders_closed, s.orders_refunded,"
      + " s.disputes_decided, s.disputes_lost, s.delivery_ms_buckets FROM merchants m"
      + " LEFT JOIN merchant_stats_daily s ON s.merchant_id = m.id AND s.day >= $2 WHERE m.id = $1";
  private static final String WINDOW_ALL = "SELECT s.merchant_id, m.name, " + SUMS
      + " FROM merchant_stats_daily s JOIN merchants m ON m.id = s.merchant_id WHERE s.day >= $1"
      + " GROUP BY s.merchant_id, m.name";

  private final Pool pool;

  public MerchantStats(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  public Pool pool() {
    return pool;
  }

  /** Where the fold stands: after the evidence row (tx, orderId, seq); the start is ("0", "", 0). */
  public record Cursor(String tx, String orderId, long seq) {}

  /** One evidence row as the fold reads it. */
  public record Event(String tx, String merchantId, String orderId, long seq, String type, Instant at,
      JsonObject data) {
    public String detail(String name) {
      return data.getString(name);
    }
  }

  /**
   * What happened at one merchant: the counters and the delivery-time buckets; a day's row, a batch's delta or a
   * window's sum alike.
   */
  public record Counts(long deliveriesOnTime, long deliveriesLate, long keysChecked, long keysInvalid,
      long resuppliesSucceeded, long resuppliesFailed, long ordersClosed, long ordersRefunded,
      long disputesDecided, long disputesLost, long[] deliveryMsBuckets) {
    public Counts {
      Objects.requireNonNull(deliveryMsBuckets, "deliveryMsBuckets");
    }

    /** Nothing counted, with {@code buckets} empty buckets. */
    public static Counts zero(int buckets) {
      return new Counts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new long[buckets]);
    }

    public Counts plus(Counts other) {
      long[] buckets = Arrays.copyOf(deliveryMsBuckets, Math.max(deliveryMsBuckets.length,
          other.deliveryMsBuckets.length));
      for (int i = 0; i < other.deliveryMsBuckets.length; i++) {
        buckets[i] += other.deliveryMsBuckets[i];
      }
      return new Counts(deliveriesOnTime + other.deliveriesOnTime, deliveriesLate + other.deliveriesLate,
          keysChecked + other.keysChecked, keysInvalid + other.keysInvalid,
          resuppliesSucceeded + other.resuppliesSucceeded, resuppliesFailed + other.resuppliesFailed,
          ordersClosed + other.ordersClosed, ordersRefunded + other.ordersRefunded,
          disputesDecided + other.disputesDecided, disputesLost + other.disputesLost, buckets);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Counts c && deliveriesOnTime == c.deliveriesOnTime && deliveriesLate == c.deliveriesLate
          && keysChecked == c.keysChecked && keysInvalid == c.keysInvalid
          && resuppliesSucceeded == c.resuppliesSucceeded && resuppliesFailed == c.resuppliesFailed
          && ordersClosed == c.ordersClosed && ordersRefunded == c.ordersRefunded
          && disputesDecided == c.disputesDecided && disputesLost == c.disputesLost
          && Arrays.equals(deliveryMsBuckets, c.deliveryMsBuckets);
    }

    @Override
    public int hashCode() {
      return Objects.hash(deliveriesOnTime, deliveriesLate, keysChecked, keysInvalid, ordersClosed,
          Arrays.hashCode(deliveryMsBuckets));
    }

    @Override
    public String toString() {
      return "Counts[onTime=" + deliveriesOnTime + ", late=" + deliveriesLate + ", checked=" + keysChecked
          + ", invalid=" + keysInvalid + ", resupplied=" + resuppliesSucceeded + ", resupplyFailed="
          + resuppliesFailed + ", closed=" + ordersClosed + ", refunded=" + ordersRefunded + ", disputes="
          + disputesDecided + ", lost=" + disputesLost + "]";
    }
  }

  /** A merchant's day. */
  public record Day(String merchantId, LocalDate day) {
    /** The UTC day of {@code at}. */
    public static Day of(String merchantId, Instant at) {
      return new Day(merchantId, LocalDate.ofInstant(at, ZoneOffset.UTC));
    }
  }

  /** A merchant's counts over a window. */
  public record MerchantCounts(String merchantId, String name, Counts counts) {}

  /** Claims the cursor for this transaction; null when another instance is folding. */
  public Future<Cursor> claim(SqlConnection tx) {
    return tx.query(CLAIM).execute().map(rows -> {
      if (!rows.iterator().hasNext()) {
        return null;
      }
      Row row = rows.iterator().next();
      return new Cursor(row.getString("tx"), row.getString("order_id"), row.getLong("seq"));
    });
  }

  /** The next evidence rows after {@code cursor} of finished transactions, at most {@code batchMax}. */
  public Future<List<Event>> after(SqlClient tx, Cursor cursor, int batchMax) {
    return tx.preparedQuery(AFTER).execute(Tuple.of(cursor.tx(), cursor.orderId(), cursor.seq(), batchMax))
        .map(MerchantStats::events);
  }

  /**
   * The {@link #CONTEXT_TYPES} events of these orders, each named with its merchant (a primary-key lookup per
   * order, never a scan).
   */
  public Future<List<Event>> context(SqlClient tx, Map<String, String> merchantOfOrder) {
    if (merchantOfOrder.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<String> orders = new ArrayList<>(merchantOfOrder.keySet());
    String[] merchants = orders.stream().map(merchantOfOrder::get).toArray(String[]::new);
    return tx.preparedQuery(CONTEXT).execute(Tuple.tuple().addArrayOfString(merchants)
        .addArrayOfString(orders.toArray(new String[0])).addArrayOfString(CONTEXT_TYPES.toArray(new String[0])))
        .map(MerchantStats::events);
  }

  /** Adds each day's counts to what the day holds (one round trip for the whole batch). */
  public Future<Void> add(SqlClient tx, Map<Day, Counts> deltas) {
    if (deltas.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> rows = new ArrayList<>();
    deltas.forEach((day, c) -> rows.add(Tuple.from(List.of(day.merchantId(), day.day(), c.deliveriesOnTime(),
        c.deliveriesLate(), c.keysChecked(), c.keysInvalid(), c.resuppliesSucceeded(), c.resuppliesFailed(),
        c.ordersClosed(), c.ordersRefunded(), c.disputesDecided(), c.disputesLost(),
        Arrays.stream(c.deliveryMsBuckets()).boxed().toArray(Long[]::new)))));
    return tx.preparedQuery(ADD).executeBatch(rows).mapEmpty();
  }

  /** Moves the cursor past {@code events} more rows, ending at {@code to}. */
  public Future<Void> advance(SqlClient tx, Cursor to, int events, Instant now) {
    return tx.preparedQuery(ADVANCE).execute(Tuple.of(to.tx(), to.orderId(), to.seq(), events,
        now.atOffset(ZoneOffset.UTC))).mapEmpty();
  }

  /**
   * A merchant's counts from {@code from} (a UTC day) on, summed; null when there is no such merchant. Reads at
   * most one row per day of the window.
   */
  public Future<MerchantCounts> window(String merchantId, LocalDate from, int buckets) {
    return pool.preparedQuery(WINDOW).execute(Tuple.of(merchantId, from)).map(rows -> {
      MerchantCounts sum = null;
      for (Row row : rows) {
        Counts counts = sum == null ? Counts.zero(buckets) : sum.counts();
        if (row.getValue("delivery_ms_buckets") != null) {
          counts = counts.plus(counts(row, row.getArrayOfLongs("delivery_ms_buckets")));
        }
        sum = new MerchantCounts(row.getString("id"), row.getString("name"), counts);
      }
      return sum;
    });
  }

  /** Every merchant with counts from {@code from} on, summed per merchant, without the delivery-time buckets. */
  public Future<List<MerchantCounts>> windowAll(LocalDate from) {
    return pool.preparedQuery(WINDOW_ALL).execute(Tuple.of(from)).map(rows -> {
      List<MerchantCounts> all = new ArrayList<>();
      for (Row row : rows) {
        all.add(new MerchantCounts(row.getString("merchant_id"), row.getString("name"),
            counts(row, new Long[0])));
      }
      return all;
    });
  }

  private static Counts counts(Row row, Long[] buckets) {
    return new Counts(row.getLong("deliveries_on_time"), row.getLong("deliveries_late"), row.getLong("keys_checked"),
        row.getLong("keys_invalid"), row.getLong("resupplies_succeeded"), row.getLong("resupplies_failed"),
        row.getLong("orders_closed"), row.getLong("orders_refunded"), row.getLong("disputes_decided"),
        row.getLong("disputes_lost"), Arrays.stream(buckets).mapToLong(Long::longValue).toArray());
  }

  private static List<Event> events(Iterable<Row> rows) {
    List<Event> events = new ArrayList<>();
    for (Row row : rows) {
      events.add(new Event(row.getString("tx"), row.getString("merchant_id"), row.getString("order_id"),
          row.getLong("seq"), row.getString("type"), row.getOffsetDateTime("at").toInstant(),
          row.getJsonObject("data")));
    }
    return events;
  }
}
