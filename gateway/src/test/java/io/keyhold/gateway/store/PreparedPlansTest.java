package io.keyhold.gateway.store;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL plans a statement the gateway prepared once per connection, not at every call: a batched read, whose
 * parameter is an array of a few ids, was planned again each time when PostgreSQL chose for itself.
 */
class PreparedPlansTest {
  /** The shape of the batched reads (a buyer's views, known Idempotency-Keys): rows found by an array of keys. */
  private static final String BATCHED = "SELECT k.id FROM unnest($1::text[]) AS k(id) WHERE k.id LIKE 'ord_%'";
  private static final int CALLS = 8;

  @Test
  void plansABatchedReadOncePerConnectionWithoutItsValues() {
    DatabaseLocation database = TestDatabase.fresh();
    Vertx vertx = Vertx.vertx();
    Pool pool = PgBuilder.pool().with(Database.poolOptions("plans-test", 1, 1, 1))
        .connectingTo(database.connectOptions()).using(vertx).build();
    try {
      Row plans = await(pool.withConnection(connection -> {
        Future<?> calls = Future.succeededFuture();
        for (int i = 0; i < CALLS; i++) {
          String[] ids = {"ord_" + i};
          calls = calls.compose(done -> connection.preparedQuery(BATCHED).execute(Tuple.of(ids)));
        }
        return calls.compose(done -> connection.preparedQuery("SELECT generic_plans, custom_plans"
                + " FROM pg_prepared_statements WHERE statement = $1").execute(Tuple.of(BATCHED)))
            .map(rows -> rows.iterator().next());
      }));

      // Left to choose, PostgreSQL makes five custom plans first, and for this shape keeps making them.
      assertThat(plans.getLong("custom_plans")).isZero();
      assertThat(plans.getLong("generic_plans")).isEqualTo(CALLS);
    } finally {
      await(pool.close());
      await(vertx.close());
      TestDatabase.drop(database);
    }
  }
}
