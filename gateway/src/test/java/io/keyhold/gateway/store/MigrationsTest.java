package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.GatewayProcess;
import io.keyhold.gateway.testing.TestDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrationsTest {
  private static final int STARTED_TOGETHER = 3;
  private static final long MIGRATE_WITHIN_SECONDS = 120;
  private static final Pattern VERSION = Pattern.compile("at schema version (\\S+) \\((\\d+) migrations applied now\\)");
  /** The migration that builds an index CONCURRENTLY, the one before it, and the index it builds. */
  private static final String CONCURRENT_VERSION = "17";
  private static final String VERSION_BEFORE = "16";
  private static final String CONCURRENT_INDEX = "orders_awaiting_payment_by_sku";
  private static final String BUILD = "CREATE INDEX CONCURRENTLY " + CONCURRENT_INDEX
      + " ON orders (merchant_id, sku_id, next_action_at) WHERE state = 'awaiting_payment'";
  private static final long BUILD_WAITING_WITHIN_MS = 30_000;
  /** A session's statement is the build (Flyway sends it with the script's comments before it), not the watcher's. */
  private static final String BUILDING = "query LIKE '%CREATE INDEX CONCURRENTLY " + CONCURRENT_INDEX + "%'"
      + " AND pid <> pg_backend_pid()";
  private static final String ADMIN_TOKEN = "kha_migrate_" + UUID.randomUUID();
  /** How long Flyway itself waits for its lock (50 tries, a second apart), and a margin past it. */
  private static final long FLYWAY_OWN_LOCK_WAIT_SECONDS = 50;
  private static final long PAST_FLYWAYS_OWN_WAIT_SECONDS = FLYWAY_OWN_LOCK_WAIT_SECONDS + 5;

  @Test
  void anAlreadyMigratedDatabaseLogsItsRealSchemaVersion() {
    DatabaseLocation database = TestDatabase.fresh();
    try (CapturedLogs logs = CapturedLogs.start()) {
      int first = Migrations.apply(database);
      int second = Migrations.apply(database);

      assertThat(first).isPositive();
      assertThat(second).isZero();
      List<Matcher> lines = logs.messages().stream()
          .filter(line -> line.contains(Migrations.class.getName()))
          .map(VERSION::matcher)
          .filter(Matcher::find)
          .toList();
      assertThat(lines).hasSize(2);
      String newest = lines.get(0).group(1);
      assertThat(newest).matches("\\d+");
      assertThat(lines.get(1).group(1)).as("the version logged on a database migrated already").isEqualTo(newest);
      assertThat(lines.get(1).group(2)).isEqualTo("0");
    } finally {
      TestDatabase.drop(database);
    }
  }

  @Test
  void gatewaysMigratingOneDatabaseAtOnceApplyEachMigrationOnce() throws Exception {
    // Instances started together each migrate; one applies everything, the others find it done. An index built
    // CONCURRENTLY waits for open transactions, so a lock held in one (the others' wait for it) would hang it.
    DatabaseLocation database = TestDatabase.fresh();
    ExecutorService starts = Executors.newFixedThreadPool(STARTED_TOGETHER);
    try {
      List<Future<Integer>> applied = new ArrayList<>();
      for (int i = 0; i < STARTED_TOGETHER; i++) {
        applied.add(starts.submit(() -> Migrations.apply(database)));
      }
      List<Integer> counts = new ArrayList<>();
      for (Future<Integer> one : applied) {
        counts.add(one.get(MIGRATE_WITHIN_SECONDS, TimeUnit.SECONDS));
      }

      assertThat(counts.stream().filter(n -> n > 0).toList()).as("applied by one instance").hasSize(1);
      assertThat(Migrations.apply(database)).as("nothing left to apply").isZero();
    } finally {
      starts.shutdownNow();
      TestDatabase.drop(database);
    }
  }

  @Test
  void aStartWaitsForAnotherInstancesLongIndexBuildPastFlywaysOwnWait() throws Exception {
    // One instance's build waits for a writing transaction (as one on a big table takes minutes); a second instance
    // started meanwhile waits for the migration lock past Flyway's own 50 s (Database.MIGRATION_WAIT_MAX), then finds
    // the migration done.
    assertThat(Database.MIGRATION_WAIT_MAX.toSeconds()).isGreaterThan(PAST_FLYWAYS_OWN_WAIT_SECONDS);
    DatabaseLocation database = TestDatabase.fresh();
    ExecutorService starts = Executors.newFixedThreadPool(2);
    try (Connection writer = connect(database); Connection watcher = connect(database);
        Statement watch = watcher.createStatement()) {
      migrateTo(database, VERSION_BEFORE);
      holdWritesOnOrders(writer);
      Future<Integer> building = starts.submit(() -> Migrations.apply(database));
      awaitBuildWaiting(watch);
      Future<Integer> waiting = starts.submit(() -> Migrations.apply(database));

      TimeUnit.SECONDS.sleep(PAST_FLYWAYS_OWN_WAIT_SECONDS);
      assertThat(waiting.isDone()).as("still waiting for the lock, not given up").isFalse();
      writer.rollback();

      assertThat(building.get(MIGRATE_WITHIN_SECONDS, TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(waiting.get(MIGRATE_WITHIN_SECONDS, TimeUnit.SECONDS)).as("found it done").isZero();
      assertBuiltAndRecordedOnce(watch);
    } finally {
      starts.shutdownNow();
      TestDatabase.drop(database);
    }
  }

  @Test
  void anIndexBuiltConcurrentlyWhoseMigrationWasNeverRecordedIsBuiltAgain() throws Exception {
    // A gateway killed while Flyway builds the index: PostgreSQL finishes the statement for the dead client, and the
    // migration is never recorded. Its next start runs the migration again, on an index already there.
    DatabaseLocation database = TestDatabase.fresh();
    try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
      migrateTo(database, VERSION_BEFORE);
      statement.execute(BUILD);
      assertThat(indexValid(statement)).as("left built, unrecorded").isTrue();

      assertThat(Migrations.apply(database)).isEqualTo(1);

      assertBuiltAndRecordedOnce(statement);
    } finally {
      TestDatabase.drop(database);
    }
  }

  @Test
  void anIndexBuildCutShortIsBuiltAgain() throws Exception {
    // A build cut short (its connection lost, the database restarted) leaves the index in the catalog, invalid. Here
    // the build is cancelled while it waits for a transaction that writes to orders, as every concurrent build does.
    DatabaseLocation database = TestDatabase.fresh();
    ExecutorService builder = Executors.newSingleThreadExecutor();
    try (Connection writer = connect(database); Connection watcher = connect(database);
        Statement watch = watcher.createStatement()) {
      migrateTo(database, VERSION_BEFORE);
      holdWritesOnOrders(writer);
      Future<Throwable> build = builder.submit(() -> {
        try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
          statement.execute(BUILD);
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      cancelBuildOnceItWaits(watch);
      assertThat(build.get(MIGRATE_WITHIN_SECONDS, TimeUnit.SECONDS)).as("the build was cancelled")
          .isInstanceOf(SQLException.class);
      writer.rollback();
      assertThat(indexValid(watch)).as("left in the catalog, invalid").isFalse();

      assertThat(Migrations.apply(database)).isEqualTo(1);

      assertBuiltAndRecordedOnce(watch);
    } finally {
      builder.shutdownNow();
      TestDatabase.drop(database);
    }
  }

  @Test
  void aConcurrentBuildRecordedAsFailedRunsAgain() throws Exception {
    // Flyway records a migration run outside a transaction that failed, and refuses to start past it until the
    // schema is repaired: here a Flyway without the gateway's recovery (a release before it) met a leftover index.
    DatabaseLocation database = TestDatabase.fresh();
    try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
      migrateTo(database, VERSION_BEFORE);
      statement.execute(BUILD);
      assertThatThrownBy(() -> migrateTo(database, CONCURRENT_VERSION)).isInstanceOf(FlywayException.class);
      assertThat(recorded(statement)).as("recorded as failed").containsExactly(false);

      assertThat(Migrations.apply(database)).isEqualTo(1);

      assertBuiltAndRecordedOnce(statement);
    } finally {
      TestDatabase.drop(database);
    }
  }

  @Test
  void everyMigrationThatBuildsAnIndexConcurrentlyNamesItForRecovery() throws Exception {
    Pattern build = Pattern.compile("CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(\\w+)",
        Pattern.CASE_INSENSITIVE);
    Pattern name = Pattern.compile("V(\\d+)__.*\\.sql");
    Map<String, String> found = new HashMap<>();
    Path folder = Path.of(MigrationsTest.class.getResource("/db/migration").toURI());
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.toList()) {
        Matcher version = name.matcher(file.getFileName().toString());
        assertThat(version.matches()).as(file.getFileName().toString()).isTrue();
        String script = Files.readString(file).replaceAll("(?m)--.*$", "");
        Matcher index = build.matcher(script);
        while (index.find()) {
          assertThat(found.put(version.group(1), index.group(1))).as("one concurrent build a migration").isNull();
        }
      }
    }
    assertThat(found).isNotEmpty().isEqualTo(Migrations.BUILT_CONCURRENTLY);
  }

  @Test
  void aGatewayKilledWhileItBuildsAnIndexStartsAgain(@TempDir Path work) throws Exception {
    // The real crash: a gateway process upgrading an older schema is killed (SIGKILL) while its index build waits
    // for a transaction that writes to orders. Its backend lives on, finishes the build for nobody and goes; the
    // migration was never recorded. The next start must build it again and serve.
    DatabaseLocation database = TestDatabase.fresh();
    Path dataDir = work.resolve("data");
    try (Connection writer = connect(database); Connection watcher = connect(database);
        Statement watch = watcher.createStatement();
        GatewayProcess first = new GatewayProcess(dataDir, database, freePort(), ADMIN_TOKEN, null);
        GatewayProcess second = new GatewayProcess(dataDir, database, freePort(), ADMIN_TOKEN, null)) {
      migrateTo(database, VERSION_BEFORE);
      holdWritesOnOrders(writer);
      first.start();
      awaitBuildWaiting(watch);
      first.kill();
      writer.rollback();
      awaitNoBuild(watch);
      assertThat(recorded(watch)).as("the killed upgrade recorded nothing").isEmpty();

      second.start();
      second.awaitReady(Duration.ofSeconds(MIGRATE_WITHIN_SECONDS));

      assertBuiltAndRecordedOnce(watch);
    } finally {
      TestDatabase.drop(database);
    }
  }

  private static void migrateTo(DatabaseLocation database, String version) {
    Flyway flyway = Flyway.configure().dataSource(database.jdbcUrl(), database.user(), database.password())
        .locations(Migrations.LOCATION).target(version).load();
    flyway.getConfiguration().getPluginRegister().getPlugin(PostgreSQLConfigurationExtension.class)
        .setTransactionalLock(false);
    flyway.migrate();
  }

  /**
   * Opens a transaction on {@code writer} that holds the lock a write to orders takes: a concurrent index build waits
   * for it, as it waits for every transaction writing to the table.
   */
  private static void holdWritesOnOrders(Connection writer) throws SQLException {
    writer.setAutoCommit(false);
    try (Statement write = writer.createStatement()) {
      write.execute("LOCK TABLE orders IN ROW EXCLUSIVE MODE");
    }
  }

  private static void assertBuiltAndRecordedOnce(Statement statement) throws SQLException {
    assertThat(indexValid(statement)).as("the index valid").isTrue();
    assertThat(recorded(statement)).as("the migration recorded once, as a success").containsExactly(true);
  }

  private static Connection connect(DatabaseLocation database) throws SQLException {
    return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
  }

  /** Null when there is no such index; else whether PostgreSQL may use it. */
  private static Boolean indexValid(Statement statement) throws SQLException {
    try (ResultSet rows = statement.executeQuery("SELECT i.indisvalid FROM pg_index i JOIN pg_class c"
        + " ON c.oid = i.indexrelid WHERE c.relname = '" + CONCURRENT_INDEX + "'")) {
      return rows.next() ? rows.getBoolean(1) : null;
    }
  }

  /** The schema history's rows for the concurrent migration: whether each succeeded. */
  private static List<Boolean> recorded(Statement statement) throws SQLException {
    List<Boolean> rows = new ArrayList<>();
    try (ResultSet found = statement.executeQuery("SELECT success FROM flyway_schema_history WHERE version = '"
        + CONCURRENT_VERSION + "'")) {
      while (found.next()) {
        rows.add(found.getBoolean(1));
      }
    }
    return rows;
  }

  private static void awaitBuildWaiting(Statement watch) throws Exception {
    awaitBuilds(watch, "SELECT count(*) FROM pg_stat_activity WHERE " + BUILDING + " AND wait_event_type = 'Lock'",
        true);
  }

  private static void awaitNoBuild(Statement watch) throws Exception {
    awaitBuilds(watch, "SELECT count(*) FROM pg_stat_activity WHERE " + BUILDING, false);
  }

  private static void awaitBuilds(Statement watch, String count, boolean some) throws Exception {
    long giveUpAt = System.currentTimeMillis() + BUILD_WAITING_WITHIN_MS;
    while (System.currentTimeMillis() < giveUpAt) {
      try (ResultSet rows = watch.executeQuery(count)) {
        rows.next();
        if ((rows.getLong(1) > 0) == some) {
          return;
        }
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    throw new AssertionError(some ? "no index build waited" : "an index build is still running");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void cancelBuildOnceItWaits(Statement watch) throws Exception {
    long giveUpAt = System.currentTimeMillis() + BUILD_WAITING_WITHIN_MS;
    while (System.currentTimeMillis() < giveUpAt) {
      try (ResultSet rows = watch.executeQuery("SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
          + " WHERE " + BUILDING + " AND wait_event_type = 'Lock'")) {
        if (rows.next() && rows.getBoolean(1)) {
          return;
        }
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    throw new AssertionError("the index build never waited for the writing transaction");
  }
}
