package io.keyhold.gateway.testing;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/** Reads the plans PostgreSQL makes for the gateway's statements, on a connection of the gateway's own pool. */
public final class Plans {
  private Plans() {}

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
