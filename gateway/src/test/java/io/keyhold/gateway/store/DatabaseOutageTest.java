package io.keyhold.gateway.store;

import static io.keyhold.gateway.testing.TestGateway.await;
import static io.keyhold.gateway.testing.TestGateway.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.RestartablePostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.unix.Errors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What counts as a database outage, judged on the exceptions a real PostgreSQL of this test's own gives
 * when it is stopped, ends a session or is stopped mid-transaction; and how an outage is logged, counted
 * and ended.
 */
class DatabaseOutageTest {
  private static final long WAIT_SECONDS_MAX = 30;

  private static RestartablePostgres postgres;
  private static Vertx vertx;
  private Pool pool;

  @BeforeAll
  static void startServer() throws Exception {
    postgres = RestartablePostgres.start();
    // The gateway's transport (native where it can be), so the real server's failures are the ones it meets.
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  }

  @AfterAll
  static void stopServer() throws Exception {
    await(vertx.close());
    postgres.close();
  }

  @BeforeEach
  void connect() throws Exception {
    postgres.startAgain();
    pool = pool(4, 64);
  }

  @AfterEach
  void disconnect() throws Exception {
    await(pool.close());
    postgres.startAgain();
  }

  private static Pool pool(int maxSize, int waitQueueMax) {
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(maxSize).setMaxWaitQueueSize(waitQueueMax))
        .connectingTo(postgres.location().connectOptions()).using(vertx).build();
  }


  @Test
  void judgesARefusedConnectionAnOutage() throws Exception {
    postgres.stop();

    Throwable refused = failureOf(pool.query("SELECT 1").execute());

    assertThat(refused).as("%s", refused).isInstanceOf(java.net.ConnectException.class);
    assertThat(DatabaseOutage.isOutage(refused)).isTrue();
  }

  @Test
  void judgesASessionTheServerEndedAnOutage() throws Exception {
    SqlConnection victim = await(pool.getConnection());
    int pid = await(victim.query("SELECT pg_backend_pid()").execute()).iterator().next().getInteger(0);
    Future<?> sleeping = victim.query("SELECT pg_sleep(20)").execute();

    await(pool.preparedQuery("SELECT pg_terminate_backend($1)").execute(io.vertx.sqlclient.Tuple.of(pid)));
    Throwable ended = failureOf(sleeping);

    // PostgreSQL sends 57P01 "terminating connection due to administrator command" and closes; the client
    // (Vert.x 5.0.10) reports the closed connection, or the reset socket when the close overtook the read (a
    // SocketException on Java NIO, a NativeIoException on the native transport).
    assertThat(ended).as("%s", ended).isInstanceOfAny(io.vertx.sqlclient.ClosedConnectionException.class,
        java.net.SocketException.class, Errors.NativeIoException.class);
    assertThat(DatabaseOutage.isOutage(ended)).isTrue();
  }

  @Test
  void judgesAServerStoppedMidQueryAnOutage() throws Exception {
    await(pool.query("SELECT 1").execute());
    Future<?> sleeping = pool.query("SELECT pg_sleep(20)").execute();
    Thread.sleep(200);

    postgres.stop();
    Throwable stopped = failureOf(sleeping);

    assertThat(DatabaseOutage.isOutage(stopped)).as("%s", stopped).isTrue();
  }

  @Test
  void judgesAServerStoppedBeforeTheCommitAnsweredAnOutage() throws Exception {
    await(pool.query("CREATE TABLE IF NOT EXISTS outage_probe (n int)").execute());
    Future<?> committed = pool.withTransaction(tx -> tx.query("INSERT INTO outage_probe VALUES (1)").execute()
        .compose(inserted -> vertx.executeBlocking(() -> {
          postgres.stop();
          return null;
        })));

    Throwable lost = failureOf(committed);

    // The COMMIT meets a connection the client already saw closed: a plain VertxException, no SQL client type.
    assertThat(lost).as("%s", lost).hasMessageStartingWith("Connection is not active now");
    assertThat(DatabaseOutage.isOutage(lost)).as("%s", lost).isTrue();
  }

  @Test
  void judgesAServerCrashingStartingUpOrResettingAnOutage() {
    // Another backend's crash (57P02), a server still in recovery (57P03) and a reset connection cannot be hit
    // on demand with an embedded server; the exceptions are built as the client builds them.
    assertThat(DatabaseOutage.isOutage(new PgException("terminating connection because of crash of another"
        + " server process", "FATAL", "57P02", null))).isTrue();
    assertThat(DatabaseOutage.isOutage(new PgException("the database system is starting up", "FATAL", "57P03",
        null))).isTrue();
    assertThat(DatabaseOutage.isOutage(new PgException("connection failure", "FATAL", "08006", null))).isTrue();
    // What a read on a connection the stopping server reset fails with (DatabaseRestartTest met it for real), on
    // Java NIO and on the native transport the gateway runs on where it can (errno 104 is Linux's ECONNRESET).
    assertThat(DatabaseOutage.isOutage(new java.net.SocketException("Connection reset"))).isTrue();
    assertThat(DatabaseOutage.isOutage(new Errors.NativeIoException("recvAddress(..) failed with error(-104):"
        + " Connection reset by peer", -104))).isTrue();
    // What a write to such a connection fails with (DatabaseRestartTest met it for real: a checkout answered 500).
    assertThat(DatabaseOutage.isOutage(new java.io.IOException("Broken pipe"))).isTrue();
    assertThat(DatabaseOutage.isOutage(new java.io.IOException("No space left on device"))).isFalse();
  }

  @Test
  void judgesAWriteAReadOnlyServerRefusedAnOutage() throws Exception {
    await(pool.query("CREATE TABLE IF NOT EXISTS outage_read_only (n int)").execute());
    // What a write meets on an old primary that came back as a standby after a failover: SQLSTATE 25006.
    Throwable refused = failureOf(pool.withTransaction(tx -> tx.query("SET TRANSACTION READ ONLY").execute()
        .compose(set -> tx.query("INSERT INTO outage_read_only VALUES (1)").execute())));

    assertThat(refused).isInstanceOf(PgException.class);
    assertThat(((PgException) refused).getSqlState()).isEqualTo("25006");
    assertThat(DatabaseOutage.isOutage(refused)).as("%s", refused).isTrue();
  }

  @Test
  void leavesQueryMistakesConflictsAndAFullPoolToOthers() throws Exception {
    Throwable syntax = failureOf(pool.query("SELEKT 1").execute());
    await(pool.query("CREATE TABLE IF NOT EXISTS outage_unique (n int PRIMARY KEY)").execute());
    await(pool.query("INSERT INTO outage_unique VALUES (1) ON CONFLICT DO NOTHING").execute());
    Throwable conflict = failureOf(pool.query("INSERT INTO outage_unique VALUES (1)").execute());
    Pool tiny = pool(1, 0);
    try {
      Future<?> holding = tiny.query("SELECT pg_sleep(1)").execute();
      Throwable busy = failureOf(tiny.query("SELECT 1").execute());
      await(holding);

      assertThat(busy).isInstanceOf(ConnectionPoolTooBusyException.class);
      assertThat(List.of(syntax, conflict, busy, new IllegalStateException("a bug")))
          .noneMatch(DatabaseOutage::isOutage);
    } finally {
      tiny.close();
    }
  }

  @Test
  void logsAnOutageOnceWithItsCauseAndItsEndOnce() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    DatabaseOutage outage = new DatabaseOutage(vertx, null, meters);
    postgres.stop();
    Throwable refused = failureOf(pool.query("SELECT 1").execute());

    try (CapturedLogs logs = CapturedLogs.start()) {
      IntStream.range(0, 200).parallel().forEach(i -> assertThat(outage.answered(refused)).isTrue());
      assertThat(outage.answered(new IllegalStateException("a bug"))).isFalse();
      outage.back();
      outage.back();

      List<ILoggingEvent> lines = logs.events().stream()
          .filter(event -> event.getLoggerName().equals(DatabaseOutage.class.getName())).toList();
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0).getLevel()).isEqualTo(Level.WARN);
      assertThat(lines.get(0).getFormattedMessage()).contains("database unavailable",
          refused.getClass().getName(), refused.getMessage());
      assertThat(lines.get(0).getThrowableProxy()).as("no stack trace").isNull();
      assertThat(lines.get(1).getLevel()).isEqualTo(Level.INFO);
      assertThat(lines.get(1).getFormattedMessage()).isEqualTo("database back after 0 s, 200 requests answered 503");
    }
    assertThat(meters.counter(DatabaseOutage.METRIC).count()).isEqualTo(200.0);
    assertThat(outage.underWay()).isFalse();
  }

  @Test
  void asksForARetryAfterAsLongAsTheOutageLastedWithinBounds() {
    AtomicLong nanos = new AtomicLong(1_000);
    DatabaseOutage outage = new DatabaseOutage(vertx, null, new SimpleMeterRegistry(), nanos::get);
    Throwable refused = new java.net.ConnectException("Connection refused");

    assertThat(outage.retryAfterSeconds()).isEqualTo(DatabaseOutage.RETRY_AFTER_SECONDS_MIN);
    outage.answered(refused);
    assertThat(outage.retryAfterSeconds()).isEqualTo(2);
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(7));
    assertThat(outage.retryAfterSeconds()).isEqualTo(7);
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(60));
    assertThat(outage.retryAfterSeconds()).isEqualTo(DatabaseOutage.RETRY_AFTER_SECONDS_MAX);
    outage.back();
    assertThat(outage.retryAfterSeconds()).isEqualTo(2);
  }

  @Test
  void endsTheOutageItselfOnceTheDatabaseAnswersAgain() throws Exception {
    DatabaseOutage outage = new DatabaseOutage(vertx, () -> pool.query("SELECT 1").execute(),
        new SimpleMeterRegistry());
    postgres.stop();
    Throwable refused = failureOf(pool.query("SELECT 1").execute());
    // The probe runs on an event loop, as the request that met the outage did.
    await(vertx.getOrCreateContext().<Boolean>executeBlocking(() -> outage.answered(refused)));
    Thread.sleep(3 * DatabaseOutage.PROBE_INTERVAL_MS);
    assertThat(outage.underWay()).as("the database is still down").isTrue();

    postgres.startAgain();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS_MAX);
    while (outage.underWay() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }

    assertThat(outage.underWay()).as("ended by the probe").isFalse();
  }
}
