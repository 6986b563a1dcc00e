package io.keyhold.gateway.engine;

import io.keyhold.gateway.store.Wire;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The nine money invariants of docs/money.md, computed in SQL over what the gateway stored
 * ({@code ledger_postings}, {@code orders}, {@code order_units}, {@code payments},
 * {@code evidence_events}), each with pass or fail and the ids of the orders that break it (at most
 * {@link #VIOLATIONS_MAX} listed, with the full count). All queries run in one read-only
 * REPEATABLE READ transaction, so they judge one consistent snapshot even while orders move.
 *
 * <ol>
 *   <li>every ledger transaction sums to zero (per currency);
 *   <li>an order's escrow balance is never negative (after any of its ledger transactions, in order),
 *       is zero once the order is terminal, and only the order's own transactions touch it;
 *   <li>no money reaches a merchant for a unit that was not VALID: what went to
 *       {@code merchant:<id>:payable} plus {@code platform:fees} for an order equals its price times its
 *       released units, each released unit's key has a {@code valid} verdict in the evidence (the
 *       arbiter may only release valid units), and no order pays a merchant other than its own or one of
 *       its backup sources';
 *   <li>one payment funds one order once: an order has at most one funding payment (exactly one once
 *       funded), and the money its ledger took in equals the payments applied to it, each once;
 *   <li>one key fingerprint is delivered to one unit across all merchants: no fingerprint is held by
 *       two units whose keys are valid or released (or were revealed before a refund);
 *   <li>every order with a deadline is past it by at most the sweeper's lag, and every open order
 *       (not terminal, not disputed) has a next deadline;
 *   <li>payments in = released + fees + refunds + held in escrow, to the cent: per order, the money
 *       taken in is fully accounted for on the known accounts, and what escrow holds is the price of
 *       the units neither released nor refunded while the order is funded and open, zero otherwise
 *       (a unit refunded early leaves its siblings held); per currency the same sums form
 *       {@code totals}.
 *   <li>a merchant's deposit is never negative after any of its ledger transactions, only its own orders draw on
 *       it, and {@code merchant_deposits} holds what its postings add up to (violations name merchants);
 *   <li>every compensation traces to a deadline the merchant missed in the order's evidence: its deadline is the
 *       one the evidence gives (funding + {@code deliver_within_seconds} with no key for those units before, or
 *       the first replacement + {@code resupply_within_seconds}), it came at or after it, and what the evidence
 *       says was paid is what the ledger paid to {@code compensations:out}.
 * </ol>
 */
public final class LedgerAudit {
  /** Order ids listed per invariant; the count covers all. */
  public static final int VIOLATIONS_MAX = 100;
  /** How late past a deadline an order may still be open before invariant 6 fails. */
  public static final Duration DEFAULT_SWEEPER_LAG = Duration.ofSeconds(60);
  /** Each audit statement stops after this; an audit that cannot finish fails instead of hogging the database. */
  public static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(60);

  /** The deposit books: what merchants' deposits took in, hold and paid out as compensation. */
  private static final String DEPOSIT_ACCOUNT = "(account = 'deposits:in' OR account = 'compensations:out'"
      + " OR account LIKE 'merchant:%:deposit')";
  private static final String COMPENSATED = "(SELECT merchant_id, order_id, seq, at, data FROM evidence_events"
      + " WHERE type = 'order.compensated')";
  static final String TERMINAL = "('expired', 'released', 'refunded', 'partially_refunded')";
  static final String HOLDING = "('funded', 'validating', 'resupplying', 'ready', 'inspection', 'disputed')";
  private static final String KNOWN_ACCOUNT = "(account = 'payments:in' OR account = 'platform:fees'"
      + " OR account = 'refunds:out' OR account LIKE 'escrow:%' OR account LIKE 'merchant:%:payable'"
      + " OR " + DEPOSIT_ACCOUNT + ")";
  private static final String VALID_VERDICT = "EXISTS (SELECT 1 FROM evidence_events e"
      + " WHERE e.merchant_id = u.merchant_id AND e.order_id = u.order_id AND e.type = 'unit.checked'"
      + " AND e.data->>'unit' = u.unit_index::text AND e.data->>'key_ref' = u.key_ref"
      + " AND e.data->>'verdict' = 'valid')";

  static final List<Invariant> INVARIANTS = List.of(
      new Invariant(1, "every ledger transaction sums to zero",
          // A deposit's top-up or withdrawal has no order: its merchant is named instead.
          "SELECT coalesce(min(order_id), min(merchant_id)) AS order_id FROM ledger_postings GROUP BY txn_id, currency"
              + " HAVING sum(amount_minor) <> 0"),
      new Invariant(2, "an order's escrow balance is never negative, and zero once the order is terminal",
          "WITH per_txn AS ("
              + " SELECT order_id, txn_id, min(id) AS first_id, sum(amount_minor) AS delta FROM ledger_postings"
              + " WHERE account = 'escrow:' || order_id GROUP BY order_id, txn_id),"
              + " running AS (SELECT order_id, sum(delta) OVER (PARTITION BY order_id ORDER BY first_id"
              + " ROWS UNBOUNDED PRECEDING) AS balance FROM per_txn)"
              + " SELECT order_id FROM running WHERE balance < 0"
              + " UNION SELECT o.id FROM orders o JOIN (SELECT order_id, sum(amount_minor) AS balance"
              + " FROM ledger_postings WHERE account = 'escrow:' || order_id GROUP BY order_id) b"
              + " ON b.order_id = o.id WHERE o.state IN " + TERMINAL + " AND b.balance <> 0"
              + " UNION SELECT order_id FROM ledger_postings WHERE account LIKE 'escrow:%'"
              + " AND account <> 'escrow:' || order_id"),
      new Invariant(3, "no money reaches a merchant for a unit that was not VALID (or awarded by an arbiter)",
          "WITH paid AS (SELECT order_id, sum(amount_minor) AS amount FROM ledger_postings"
              + " WHERE account LIKE 'merchant:%:payable' OR account = 'platform:fees' GROUP BY order_id),"
              + " released AS (SELECT order_id, count(*) AS units FROM order_units WHERE state = 'released'"
              + " GROUP BY order_id)"
              + " SELECT o.id FROM orders o LEFT JOIN paid ON paid.order_id = o.id"
              + " LEFT JOIN released r ON r.order_id = o.id"
              + " WHERE coalesce(paid.amount, 0) <> o.unit_price_minor * coalesce(r.units, 0)"
              + " UNION SELECT u.order_id FROM order_units u WHERE u.state = 'released' AND NOT " + VALID_VERDICT
              + " UNION SELECT p.order_id FROM ledger_postings p JOIN orders o"
              + " ON o.merchant_id = p.merchant_id AND o.id = p.order_id"
              + " WHERE p.account LIKE 'merchant:%:payable' AND p.account <> 'merchant:' || o.merchant_id || ':payable'"
              // A unit a backup source delivered is paid to that source's merchant, as the order lists it.
              + " AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(o.data->'backups', '[]'::jsonb)) b"
              + " WHERE p.account = 'merchant:' || (b->>'merchant_id') || ':payable')"),
      new Invariant(4, "one payment funds one order once, whatever is repeated or reordered",
          "WITH funding AS (SELECT order_id, count(*) AS n FROM payments WHERE use = 'funded' GROUP BY order_id),"
              + " money_in AS (SELECT order_id, -sum(amount_minor) AS amount FROM ledger_postings"
              + " WHERE account = 'payments:in' GROUP BY order_id),"
              + " applied AS (SELECT order_id, sum(amount_minor) AS amount FROM payments"
              + " WHERE use IN ('funded', 'refunded') GROUP BY order_id)"
              + " SELECT o.id FROM orders o LEFT JOIN funding f ON f.order_id = o.id"
              + " LEFT JOIN money_in m ON m.order_id = o.id LEFT JOIN applied a ON a.order_id = o.id"
              + " WHERE coalesce(f.n, 0) <> (CASE WHEN o.data->>'funded_at' IS NULL THEN 0 ELSE 1 END)"
              + " OR coalesce(m.amount, 0) <> coalesce(a.amount, 0)"),
      new Invariant(5, "one key fingerprint is delivered to one unit, across all merchants",
          "WITH sold AS (SELECT u.order_id, u.fingerprint FROM order_units u JOIN orders o"
              + " ON o.merchant_id = u.merchant_id AND o.id = u.order_id WHERE u.fingerprint IS NOT NULL"
              + " AND (u.state IN ('valid', 'released') OR (u.state = 'refunded'"
              + " AND o.data->>'revealed_at' IS NOT NULL AND " + VALID_VERDICT + ")))"
              + " SELECT order_id FROM (SELECT order_id, count(*) OVER (PARTITION BY fingerprint) AS n FROM sold) s"
              + " WHERE n > 1"),
      new Invariant(6, "every funded order is terminal by its last deadline plus the sweeper's lag",
          "SELECT id AS order_id FROM orders WHERE next_action_at IS NOT NULL AND next_action_at < $1"
              + " AND state NOT IN " + TERMINAL
              + " UNION SELECT id FROM orders WHERE next_action_at IS NULL AND state NOT IN " + TERMINAL
              + " AND state <> 'disputed'"),
      new Invariant(7, "payments in = released + fees + refunds + held in escrow, to the cent",
          "WITH per_order AS (SELECT order_id,"
              + " -coalesce(sum(amount_minor) FILTER (WHERE account = 'payments:in'), 0) AS paid_in,"
              + " coalesce(sum(amount_minor) FILTER (WHERE account <> 'payments:in' AND " + KNOWN_ACCOUNT + "), 0)"
              + " AS accounted,"
              + " coalesce(sum(amount_minor) FILTER (WHERE account LIKE 'escrow:%'), 0) AS held,"
              + " count(*) FILTER (WHERE NOT " + KNOWN_ACCOUNT + ") AS unknown"
              + " FROM ledger_postings GROUP BY order_id)"
              + " SELECT o.id FROM orders o LEFT JOIN per_order p ON p.order_id = o.id"
              + " WHERE coalesce(p.paid_in, 0) <> coalesce(p.accounted, 0) OR coalesce(p.unknown, 0) > 0"
              + " OR coalesce(p.held, 0) <> (CASE WHEN o.state IN " + HOLDING
              + " THEN o.unit_price_minor * (SELECT count(*) FROM order_units u WHERE u.merchant_id = o.merchant_id"
              + " AND u.order_id = o.id AND u.state NOT IN ('released', 'refunded')) ELSE 0 END)"),
      new Invariant(8, "a merchant's deposit is never negative (violations name merchants)",
          "WITH per_txn AS (SELECT merchant_id, account, txn_id, currency, min(id) AS first_id,"
              + " sum(amount_minor) AS delta FROM ledger_postings WHERE account LIKE 'merchant:%:deposit'"
              + " GROUP BY merchant_id, account, txn_id, currency),"
              + " running AS (SELECT merchant_id, sum(delta) OVER (PARTITION BY account, currency ORDER BY first_id"
              + " ROWS UNBOUNDED PRECEDING) AS balance FROM per_txn)"
              + " SELECT merchant_id FROM running WHERE balance < 0"
              + " UNION SELECT coalesce(order_id, merchant_id) FROM ledger_postings WHERE account LIKE 'merchant:%:deposit'"
              + " AND account <> 'merchant:' || merchant_id || ':deposit'"
              + " UNION SELECT d.merchant_id FROM merchant_deposits d WHERE d.balance_minor <> (SELECT"
              + " coalesce(sum(l.amount_minor), 0) FROM ledger_postings l WHERE l.merchant_id = d.merchant_id"
              + " AND l.account = 'merchant:' || d.merchant_id || ':deposit' AND l.currency = d.currency)"),
      new Invariant(9, "every compensation traces to a deadline the merchant missed in the order's evidence",
          "WITH placed AS (SELECT order_id, data FROM evidence_events WHERE type = 'order.placed'),"
              + " paid_evidence AS (SELECT order_id, sum(split_part(data->>'paid', ' ', 1)::bigint) AS amount"
              + " FROM " + COMPENSATED + " c GROUP BY order_id),"
              + " paid_ledger AS (SELECT order_id, sum(amount_minor) AS amount FROM ledger_postings"
              + " WHERE account = 'compensations:out' GROUP BY order_id)"
              + " SELECT c.order_id FROM " + COMPENSATED + " c JOIN placed p ON p.order_id = c.order_id"
              + " WHERE c.at < (c.data->>'deadline')::timestamptz OR CASE c.data->>'cause'"
              // Late first keys: the deadline is funding + deliver_within, and no key of those units came before.
              + " WHEN 'delivery_late' THEN (c.data->>'deadline')::timestamptz IS DISTINCT FROM (SELECT f.at"
              + " + make_interval(secs => (p.data->>'deliver_within_seconds')::int) FROM evidence_events f"
              + " WHERE f.merchant_id = c.merchant_id AND f.order_id = c.order_id AND f.type = 'order.funded'"
              + " AND f.seq < c.seq ORDER BY f.seq DESC LIMIT 1)"
              + " OR EXISTS (SELECT 1 FROM evidence_events k"
              + " WHERE k.merchant_id = c.merchant_id AND k.order_id = c.order_id"
              + " AND k.type = 'unit.key_delivered' AND k.seq < c.seq"
              + " AND k.data->>'unit' = ANY (string_to_array(c.data->>'units', ',')))"
              // A resupply refunded: the deadline is resupply_within after the window opened — the unit's last move
              // to a backup source, or else the first replacement requested.
              + " WHEN 'resupply_refunded' THEN (c.data->>'deadline')::timestamptz IS DISTINCT FROM coalesce("
              + "(SELECT s.at FROM evidence_events s WHERE s.merchant_id = c.merchant_id AND s.order_id = c.order_id"
              + " AND s.type = 'unit.source_switched'"
              + " AND s.seq < c.seq AND s.data->>'unit' = split_part(c.data->>'units', ',', 1)"
              + " ORDER BY s.seq DESC LIMIT 1),"
              + " (SELECT r.at FROM evidence_events r"
              + " WHERE r.merchant_id = c.merchant_id AND r.order_id = c.order_id"
              + " AND r.type = 'unit.replacement_requested' ORDER BY r.seq LIMIT 1))"
              + " + make_interval(secs => (p.data->>'resupply_within_seconds')::int)"
              + " ELSE true END"
              + " UNION SELECT coalesce(e.order_id, l.order_id) FROM paid_evidence e FULL JOIN paid_ledger l"
              + " ON l.order_id = e.order_id WHERE coalesce(e.amount, 0) <> coalesce(l.amount, 0)"));

  private static final String TOTALS = "SELECT currency,"
      + " -coalesce(sum(amount_minor) FILTER (WHERE account = 'payments:in'), 0) AS payments_in,"
      + " coalesce(sum(amount_minor) FILTER (WHERE account LIKE 'merchant:%:payable'), 0) AS released,"
      + " coalesce(sum(amount_minor) FILTER (WHERE account = 'platform:fees'), 0) AS fees,"
      + " coalesce(sum(amount_minor) FILTER (WHERE account = 'refunds:out'), 0) AS refunds,"
      + " coalesce(sum(amount_minor) FILTER (WHERE account LIKE 'escrow:%'), 0) AS held,"
      + " -coalesce(sum(amount_minor) FILTER (WHERE account = 'deposits:in'), 0) AS deposits_in,"
      + " coalesce(sum(amount_minor) FILTER (WHERE account LIKE 'merchant:%:deposit'), 0) AS deposits_held,"
      + " coalesce(sum(amount_minor) FILTER (WHERE account = 'compensations:out'), 0) AS compensations,"
      + " coalesce(sum(amount_minor) FILTER (WHERE NOT " + KNOWN_ACCOUNT + "), 0) AS other"
      + " FROM ledger_postings GROUP BY currency ORDER BY currency";
  private static final String COUNTS = "SELECT (SELECT count(*) FROM orders) AS orders,"
      + " (SELECT count(DISTINCT txn_id) FROM ledger_postings) AS ledger_transactions,"
      + " (SELECT count(*) FROM payments) AS payments";

  private final Pool pool;
  private final Clock clock;

  public LedgerAudit(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  /** Runs the audit with the sweeper allowed {@code sweeperLag} past a deadline. */
  public Future<JsonObject> run(Duration sweeperLag) {
    if (sweeperLag.isNegative()) {
      throw new IllegalArgumentException("sweeperLag must not be negative, but was " + sweeperLag);
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    return pool.withTransaction(tx -> tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute()
        .compose(ignored -> tx.query("SET LOCAL statement_timeout = " + STATEMENT_TIMEOUT.toMillis()).execute())
        .compose(ignored -> run(tx, now, now.minus(sweeperLag))));
  }

  private Future<JsonObject> run(SqlClient tx, Instant now, Instant overdueBefore) {
    List<Future<RowSet<Row>>> checks = new ArrayList<>();
    for (Invariant invariant : INVARIANTS) {
      String sql = "SELECT order_id, count(*) OVER () AS total FROM (" + invariant.sql()
          + ") v(order_id) GROUP BY order_id ORDER BY order_id LIMIT " + VIOLATIONS_MAX;
      checks.add(invariant.id() == 6
          ? tx.preparedQuery(sql).execute(Tuple.of(overdueBefore.atOffset(ZoneOffset.UTC)))
          : tx.preparedQuery(sql).execute());
    }
    Future<RowSet<Row>> totals = tx.query(TOTALS).execute();
    Future<RowSet<Row>> counts = tx.query(COUNTS).execute();
    List<Future<?>> all = new ArrayList<>(checks);
    all.add(totals);
    all.add(counts);
    return Future.all(all).map(done -> {
      JsonArray invariants = new JsonArray();
      boolean ok = true;
      for (int i = 0; i < INVARIANTS.size(); i++) {
        JsonArray violations = new JsonArray();
        long total = 0;
        for (Row row : checks.get(i).result()) {
          violations.add(row.getString("order_id"));
          total = row.getLong("total");
        }
        ok &= total == 0;
        invariants.add(new JsonObject()
            .put("id", INVARIANTS.get(i).id())
            .put("name", INVARIANTS.get(i).name())
            .put("ok", total == 0)
            .put("violation_count", total)
            .put("violations", violations)
            .put("violations_truncated", total > violations.size()));
      }
      JsonObject byCurrency = new JsonObject();
      for (Row row : totals.result()) {
        long in = row.getLong("payments_in");
        long released = row.getLong("released");
        long fees = row.getLong("fees");
        long refunds = row.getLong("refunds");
        long held = row.getLong("held");
        byCurrency.put(row.getString("currency"), new JsonObject()
            .put("payments_in", in)
            .put("released", released)
            .put("fees", fees)
            .put("refunds", refunds)
            .put("held_in_escrow", held)
            .put("deposits_in", row.getLong("deposits_in"))
            .put("deposits_held", row.getLong("deposits_held"))
            .put("compensations", row.getLong("compensations"))
            .put("other_accounts", row.getLong("other"))
            .put("balanced", in == released + fees + refunds + held && row.getLong("other") == 0
                && row.getLong("deposits_in") == row.getLong("deposits_held") + row.getLong("compensations")));
      }
      Row count = counts.result().iterator().next();
      return new JsonObject()
          .put("ok", ok)
          .put("checked_at", Wire.time(now))
          .put("sweeper_lag_seconds", (now.getEpochSecond() - overdueBefore.getEpochSecond()))
          .put("invariants", invariants)
          .put("totals", new JsonObject()
              .put("orders", count.getLong("orders"))
              .put("ledger_transactions", count.getLong("ledger_transactions"))
              .put("payments", count.getLong("payments"))
              .put("by_currency", byCurrency));
    });
  }

  /** One invariant: its number in docs/money.md, its name, and SQL selecting violating order ids (one column). */
  record Invariant(int id, String name, String sql) {}
}
