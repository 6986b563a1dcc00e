package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The order engine has a pool of its own: with every API connection taken (here the only one, held in
 * an open transaction), deadlines are still met.
 */
class EnginePoolTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start(engine -> { }, config -> config.poolMaxSize(1).poolWaitQueueMax(64));
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  @Test
  void expiresAnOrderOnTimeWhileTheApiPoolIsExhausted() throws Exception {
    Flows.OneKeyOrder placed = flows.oneKeyOrder("Busy shop", "BUSY-");
    Flows.Session session = placed.session();
    Pool engine = flows.gw.gateway().database().enginePool();
    SqlConnection held = TestGateway.await(flows.gw.gateway().pool().getConnection());
    Transaction open = TestGateway.await(held.begin());
    try {
      flows.advance(Duration.ofSeconds(61));

      Instant giveUp = Instant.now().plus(WAIT);
      String state = null;
      while (Instant.now().isBefore(giveUp) && !"expired".equals(state)) {
        state = TestGateway.await(engine.preparedQuery("SELECT state FROM orders WHERE id = $1")
            .execute(Tuple.of(session.orderId()))).iterator().next().getString("state");
        Flows.pause(50);
      }

      assertThat(state).as("expired by the sweeper on the engine's pool").isEqualTo("expired");
    } finally {
      TestGateway.await(open.rollback());
      TestGateway.await(held.close());
    }
  }
}
