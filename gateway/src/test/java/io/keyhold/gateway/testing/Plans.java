package io.keyhold.gateway.testing;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/** Reads the plans PostgreSQL makes for the gateway's statements, on a connection of the gateway's own pool. */
public final class Plans {
  private Plans() {}

  /** The merchant of {@link #ordersOf}. */
  public static final String MERCHANT = "mer_" + "a".repeat(24);
  /** The SKU of {@link #ordersOf}. */
  public static final String SKU = "sku_" + "a".repeat(24);

  /**
   * A merchant, a SKU and {@code orders} released orders of it, the n-th ({@code n} from 1) due at
   * {@code nextActionAt} (an SQL expression of {@code n}; NULL: none); each order's id is {@link #orderId} of n.
   */
  public static String[] ordersOf(int orders, String nextActionAt) {
    return new String[] {
        "INSERT INTO merchants (id, name, fee_basis_points, adapter_type, adapter_config_key_id,"
            + " adapter_config_sealed, webhook_secret_key_id, webhook_secret_sealed) VALUES ('" + MERCHANT + "',"
            + " 'Plans', 0, 'stock', 'k1', '\\x00', 'k1', '\\x00')",
        "INSERT INTO skus (merchant_id, id, name, price_minor, currency, pay_within_seconds, deliver_within_seconds,"
            + " validate_within_seconds, resupply_within_seconds, max_resupply_attempts, inspection_window_seconds,"
            + " max_hold_seconds, adapter_type) VALUES ('" + MERCHANT + "', '" + SKU + "', 'Plans', 100, 'CNY', 60,"
            + " 10, 10, 10, 1, 60, 3600, 'stock')",
        "INSERT INTO orders (merchant_id, id, sku_id, state, version, next_action_at, quantity, unit_price_minor,"
            + " currency, token_hash, adapter_type, data, placed_at, updated_at) SELECT '" + MERCHANT + "', "
            + orderId("n") + ", '" + SKU + "', 'released', 5, " + nextActionAt + ", 1, 100, 'CNY',"
            + " sha256(n::text::bytea), 'stock', '{}', now(), now() FROM generate_series(1, " + orders + ") AS n"};
  }

  /** The id of the n-th order of {@link #ordersOf}, as an SQL expression of {@code n}. */
  public static String orderId(String n) {
    return "'ord_' || translate(lpad(" + n + "::text, 24, '0'), '0123456789', 'abcdefghij')";
  }

  /** Runs {@code statements} one after another, unprepared. */
  public static Future<Void> run(SqlConnection connection, String... statements) {
    Future<Void> done = Future.succeededFuture();
    for (String statement : statements) {
      done = done.compose(ran -> connection.query(statement).execute().mapEmpty());
    }
    return done;
  }

  /**
   * The plan {@code connection} uses for {@code sql} prepared with parameter {@code types} and run with {@code args}
   * (SQL literals), as its settings then make it (its {@code plan_cache_mode}): EXPLAIN's lines, one per line.
   */
  public static Future<String> of(SqlConnection connection, String sql, String types, String args) {
    return run(connection, "PREPARE plan_probe(" + types + ") AS " + sql)
        .compose(prepared -> connection.query("EXPLAIN EXECUTE plan_probe(" + args + ")").execute())
        .map(rows -> StreamSupport.stream(rows.spliterator(), false).map((Row row) -> row.getString(0))
            .collect(Collectors.joining("\n")))
        .compose(plan -> run(connection, "DEALLOCATE plan_probe").map(plan));
  }
}
