package io.keyhold.gateway.store;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The engine's pool spreads its connections over the event loops: connections asked for from one event
 * loop (the engine's) are not all tied to it, so no one loop carries the database I/O of all its work. A
 * pool built with those options tells, when it opens a connection, which thread that connection's I/O runs
 * on. (The API pool is one pool per loop instead: {@link EventLoopPoolsTest}.)
 */
class PoolEventLoopsTest {
  private static final int EVENT_LOOPS = VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;

  @Test
  void opensItsConnectionsOnEveryEventLoopWhenAskedFromOne() {
    DatabaseLocation database = TestDatabase.fresh();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(EVENT_LOOPS));
    Set<String> connectedOn = ConcurrentHashMap.newKeySet();
    Pool pool = PgBuilder.pool()
        .with(Database.poolOptions("spread-test", EVENT_LOOPS, EVENT_LOOPS, EVENT_LOOPS))
        .connectingTo(database.connectOptions())
        .withConnectHandler(connection -> {
          connectedOn.add(Thread.currentThread().getName());
          connection.close();
        })
        .using(vertx)
        .build();
    try {
      // Every connection at once, asked for from this one thread (one event loop of its own).
      List<Future<SqlConnection>> asked = new ArrayList<>();
      for (int i = 0; i < EVENT_LOOPS; i++) {
        asked.add(pool.getConnection());
      }
      await(Future.all(asked));
      asked.forEach(connection -> await(connection.result().close()));

      assertThat(connectedOn).hasSize(EVENT_LOOPS).allMatch(name -> name.startsWith("vert.x-eventloop-thread-"));
    } finally {
      await(pool.close());
      await(vertx.close());
      TestDatabase.drop(database);
    }
  }
}
