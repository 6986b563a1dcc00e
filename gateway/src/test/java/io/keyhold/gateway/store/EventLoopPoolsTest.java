package io.keyhold.gateway.store;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.EventLoops;
import io.keyhold.gateway.testing.TestDatabase;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The API pool is one pool per event loop: what a loop asks runs on connections opened on that loop, never on a
 * connection of another loop, so no answer hops between loops.
 */
class EventLoopPoolsTest {
  private static final int CONNECTIONS = 4;
  private static final int ASKS_PER_LOOP = 20;

  @Test
  void eachEventLoopRunsItsStatementsOnConnectionsOpenedOnItself() {
    DatabaseLocation database = TestDatabase.fresh();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    // Backend process id of each connection -> the thread its pool opened it on.
    Map<Integer, String> openedOn = new ConcurrentHashMap<>();
    Pool pool = EventLoopPools.build("loops-test", CONNECTIONS, 64, 2, options -> PgBuilder.pool().with(options)
        .connectingTo(database.connectOptions())
        .withConnectHandler(connection -> {
          String thread = Thread.currentThread().getName();
          connection.query("SELECT pg_backend_pid()").execute()
              .onSuccess(rows -> openedOn.put(rows.iterator().next().getInteger(0), thread))
              .onComplete(done -> connection.close());
        })
        .using(vertx).build());
    try {
      List<Context> loops = EventLoops.two(vertx);
      Map<String, Set<Integer>> backendsByLoop = new ConcurrentHashMap<>();
      for (Context loop : loops) {
        String thread = EventLoops.threadOf(loop).getName();
        await(EventLoops.on(loop, () -> {
          // Many at once, so the loop's pool opens all its connections.
          List<Future<Integer>> asked = new ArrayList<>();
          for (int i = 0; i < ASKS_PER_LOOP; i++) {
            asked.add(pool.query("SELECT pg_backend_pid(), pg_sleep(0.01)").execute()
                .map(rows -> rows.iterator().next().getInteger(0)));
          }
          return Future.all(asked).map(all -> {
            backendsByLoop.put(thread, asked.stream().map(Future::result).collect(Collectors.toSet()));
            return null;
          });
        }));
      }

      assertThat(backendsByLoop).hasSize(2);
      backendsByLoop.forEach((thread, backends) -> {
        assertThat(backends).hasSize(CONNECTIONS / 2);
        assertThat(backends).allSatisfy(backend -> assertThat(openedOn.get(backend)).isEqualTo(thread));
      });
    } finally {
      await(pool.close());
      await(vertx.close());
      TestDatabase.drop(database);
    }
  }

  @Test
  void sharesConnectionsAndTheWaitQueueEvenlyWithAtLeastOneEach() {
    assertThat(List.of(EventLoopPools.share(16, 2, 0), EventLoopPools.share(16, 2, 1))).containsExactly(8, 8);
    assertThat(List.of(EventLoopPools.share(17, 2, 0), EventLoopPools.share(17, 2, 1))).containsExactly(9, 8);
    assertThat(List.of(EventLoopPools.share(512, 3, 0), EventLoopPools.share(512, 3, 1),
        EventLoopPools.share(512, 3, 2))).containsExactly(171, 171, 170);
    assertThat(List.of(EventLoopPools.share(1, 2, 0), EventLoopPools.share(1, 2, 1))).containsExactly(1, 1);
  }
}
