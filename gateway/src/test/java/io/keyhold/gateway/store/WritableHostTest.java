package io.keyhold.gateway.store;

import static io.keyhold.gateway.testing.TestGateway.await;
import static io.keyhold.gateway.testing.TestGateway.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.RestartablePostgres;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which of several hosts a new connection goes to: two real PostgreSQL servers of this test's own, either of
 * them made read-only ({@code default_transaction_read_only}, which a standby's sessions show too; set while
 * connections are open, it reaches them too) or stopped.
 */
class WritableHostTest {
  private static final long WAIT_SECONDS_MAX = 30;
  private static final long SETTING_POLL_MS = 50;
  /** A connection lifetime short enough for a test; the gateway's is {@link WritableHost#CONNECTION_LIFETIME_MS}. */
  private static final int SHORT_LIFETIME_MS = 1_000;
  /** Past the lifetime: the pool's cleaner runs once a second, and the next connection asks both hosts. */
  private static final long MOVED_WITHIN_NANOS = TimeUnit.SECONDS.toNanos(10);

  private static RestartablePostgres first;
  private static RestartablePostgres second;
  private static Vertx vertx;

  @BeforeAll
  static void startServers() throws Exception {
    first = RestartablePostgres.start();
    second = RestartablePostgres.start();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopServers() throws Exception {
    await(vertx.close());
    first.close();
    second.close();
  }

  @AfterEach
  void bothWritableAgain() throws Exception {
    first.startAgain();
    second.startAgain();
    readOnly(first, false);
    readOnly(second, false);
  }

  @Test
  void connectsToTheHostThatTakesWritesAndFollowsItWhenItMoves() throws Exception {
    WritableHost writable = new WritableHost(vertx, both());
    readOnly(first, true);

    assertThat(serverPort(writable)).isEqualTo(second.location().port());

    readOnly(first, false);
    readOnly(second, true);
    assertThat(serverPort(writable)).as("after the primary moved").isEqualTo(first.location().port());
  }

  @Test
  void passesOverAHostThatIsDown() throws Exception {
    first.stop();

    assertThat(serverPort(new WritableHost(vertx, both()))).isEqualTo(second.location().port());
  }

  @Test
  void failsAsADatabaseOutageNamingEachHostWhenNoneTakesWrites() throws Exception {
    readOnly(first, true);
    second.stop();

    Throwable none = failureOf(new WritableHost(vertx, both()).get());

    assertThat(none).isInstanceOf(NoWritableHostException.class)
        .hasMessageContaining(first.location().hosts().get(0) + " is read-only")
        .hasMessageContaining(second.location().hosts().get(0) + " could not be asked");
    assertThat(DatabaseOutage.isOutage(none)).isTrue();
  }

  @Test
  void leavesAHostMadeReadOnlyWhileItRunsOnceItsConnectionsAreRetired() throws Exception {
    Pool pool = PgBuilder.pool().with(WritableHost.withLifetime(new PoolOptions().setMaxSize(1), SHORT_LIFETIME_MS))
        .connectingTo(new WritableHost(vertx, both())).using(vertx).build();
    try {
      assertThat(serverPort(pool)).isEqualTo(first.location().port());
      await(pool.query("CREATE TABLE IF NOT EXISTS lifetime_probe (n int)").execute());

      readOnly(first, true);
      Throwable refused = failureOf(pool.query("INSERT INTO lifetime_probe VALUES (1)").execute());
      assertThat(DatabaseOutage.isOutage(refused)).as("%s", refused).isTrue();

      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHORT_LIFETIME_MS) + MOVED_WITHIN_NANOS;
      while (serverPort(pool) != second.location().port() && System.nanoTime() < deadline) {
        Thread.sleep(SETTING_POLL_MS);
      }
      assertThat(serverPort(pool)).as("the pool's connection after its lifetime").isEqualTo(second.location().port());
      await(pool.query("CREATE TABLE IF NOT EXISTS lifetime_probe (n int)").execute());
      await(pool.query("INSERT INTO lifetime_probe VALUES (1)").execute());
    } finally {
      await(pool.close());
    }
  }

  private static DatabaseLocation both() {
    return new DatabaseLocation(List.of(first.location().hosts().get(0), second.location().hosts().get(0)),
        "postgres", "postgres", "");
  }

  /** The port of the server a pool connecting through {@code writable} lands on. */
  private static int serverPort(WritableHost writable) throws Exception {
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(writable).using(vertx).build();
    try {
      return serverPort(pool);
    } finally {
      await(pool.close());
    }
  }

  private static int serverPort(Pool pool) throws Exception {
    return await(pool.query("SELECT inet_server_port()").execute()).iterator().next().getInteger(0);
  }

  /** Makes every new session of {@code server} read-only, or not, and waits until a new session shows it. */
  private static void readOnly(RestartablePostgres server, boolean on) throws Exception {
    PgConnection connection = await(PgConnection.connect(vertx, server.location().connectOptions()));
    try {
      await(connection.query("SET default_transaction_read_only = off").execute());
      await(connection.query("ALTER SYSTEM SET default_transaction_read_only = " + (on ? "on" : "off")).execute());
      await(connection.query("SELECT pg_reload_conf()").execute());
    } finally {
      await(connection.close());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS_MAX);
    while (System.nanoTime() < deadline) {
      PgConnection fresh = await(PgConnection.connect(vertx, server.location().connectOptions()));
      try {
        String shown = await(fresh.query(WritableHost.READ_ONLY_QUERY).execute()).iterator().next().getString(0);
        if (shown.equals(on ? "on" : "off")) {
          return;
        }
      } finally {
        await(fresh.close());
      }
      Thread.sleep(SETTING_POLL_MS);
    }
    throw new AssertionError("server on port " + server.location().port() + " did not become read-only=" + on);
  }
}
