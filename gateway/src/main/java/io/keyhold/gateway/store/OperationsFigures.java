package io.keyhold.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * What an operator watches that lives in the database, read in one statement: open orders by state, escrow
 * held per currency, the outbox's backlog and the age of its oldest row, and how far the sweeper is behind the
 * most overdue deadline. Every part walks a partial index of open work only (open orders, pending outbox rows),
 * never the history, so it stays cheap however many orders have closed.
 */
public final class OperationsFigures {
  /**
   * The reading. An open order's escrow postings are looked up by the order ({@code OFFSET 0} keeps that look-up from
   * being flattened into a join): as a join, PostgreSQL read every posting ever made to find the open orders' few,
   * 0.5 s at 1.1 million postings, at every reading.
   */
  static final String READ = "WITH open AS (SELECT merchant_id, id, state, next_action_at FROM orders"
      + " WHERE next_action_at IS NOT NULL OR state = 'disputed')"
      + " SELECT (SELECT coalesce(json_object_agg(state, n), '{}') FROM"
      + " (SELECT state, count(*) AS n FROM open GROUP BY state) s) AS open_by_state,"
      + " (SELECT coalesce(json_object_agg(currency, held), '{}') FROM (SELECT p.currency, sum(p.amount_minor) AS held"
      + " FROM open o CROSS JOIN LATERAL (SELECT currency, amount_minor FROM ledger_postings"
      + " WHERE merchant_id = o.merchant_id AND order_id = o.id AND account = 'escrow:' || o.id OFFSET 0) p"
      + " GROUP BY p.currency) e) AS escrow_held,"
      + " (SELECT count(*) FROM outbox WHERE state = 'pending') AS outbox_pending,"
      + " (SELECT coalesce(extract(epoch FROM ($1 - min(created_at))), 0) FROM outbox WHERE state = 'pending')"
      + " AS outbox_oldest_seconds,"
      + " (SELECT coalesce(greatest(extract(epoch FROM ($1 - min(next_action_at))), 0), 0) FROM orders"
      + " WHERE next_action_at IS NOT NULL) AS sweeper_lag_seconds";

  /**
   * One reading.
   *
   * @param openByState open orders (awaiting payment, funded, validating, resupplying, ready, inspection,
   *     disputed) per state
   * @param escrowHeld minor units held in escrow per currency code
   * @param outboxPending outbox rows not yet done
   * @param outboxOldestSeconds age of the oldest of them
   * @param sweeperLagSeconds how long the most overdue deadline has been due (0 when none is)
   */
  public record Reading(JsonObject openByState, JsonObject escrowHeld, long outboxPending, double outboxOldestSeconds,
      double sweeperLagSeconds) {}

  private final Pool pool;

  public OperationsFigures(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  public Future<Reading> read(Instant now) {
    return pool.preparedQuery(READ).execute(Tuple.of(now.atOffset(ZoneOffset.UTC))).map(rows -> {
      Row row = rows.iterator().next();
      return new Reading(new JsonObject(row.getValue("open_by_state").toString()),
          new JsonObject(row.getValue("escrow_held").toString()), row.getLong("outbox_pending"),
          row.getNumeric("outbox_oldest_seconds").doubleValue(), row.getNumeric("sweeper_lag_seconds").doubleValue());
    });
  }
}
