package io.keyhold.gateway.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned schema migrations in {@code classpath:db/migration} with Flyway, over JDBC,
 * once at start-up. Blocking.
 *
 * <p>Files are named {@code V<n>__<what>.sql} with n = 1, 2, 3...; a migration already applied is
 * never edited, a change is a new file. Several gateways starting together are safe: Flyway takes
 * a database lock while it migrates.
 *
 * <p>A migration that builds an index {@code CONCURRENTLY} runs outside a transaction, so an upgrade cut short
 * while it builds (the gateway killed, the database restarted) can leave its index behind, built or invalid, and
 * the migration either unrecorded or recorded as failed. Run again as it is, it would fail at every start
 * ("already exists", or Flyway's "detected failed migration") until someone repaired the schema by hand. Such a
 * migration is named in {@link #BUILT_CONCURRENTLY}: its failed record is removed and its leftover index dropped,
 * and it runs again.
 */
final class Migrations {
  public static final String LOCATION = "classpath:db/migration";
  /** The index each migration that builds one {@code CONCURRENTLY} builds, by the migration's version. */
  static final Map<String, String> BUILT_CONCURRENTLY = Map.of("17", "orders_awaiting_payment_by_sku");
  /** Flyway's record of the migrations applied (its default name, which the gateway keeps). */
  private static final String HISTORY_TABLE = "flyway_schema_history";

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {}

  /** Migrates the database to the newest version; answers how many migrations ran now. */
  public static int apply(DatabaseLocation location) {
    FluentConfiguration configuration = Flyway.configure()
        .dataSource(location.jdbcUrl(), location.user(), location.password())
        .locations(LOCATION)
        .failOnMissingLocations(true)
        // Flyway asks for its lock once a second, this many times, while another instance migrates.
        .lockRetryCount((int) Database.MIGRATION_WAIT_MAX.toSeconds())
        .callbacks(new LeftoverIndexes());
    // A session lock, not one held in an open transaction: CREATE INDEX CONCURRENTLY waits for every open
    // transaction, Flyway's own lock included, and would wait for it forever.
    configuration.getPluginRegister().getPlugin(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
    Flyway flyway = configuration.load();
    forgetFailedConcurrentBuilds(flyway, location);
    MigrateResult result = flyway.migrate();
    // Flyway names a target version only when it applied something; otherwise the schema stayed where it was.
    String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
    LOG.info("database {} at schema version {} ({} migrations applied now)",
        location, version, result.migrationsExecuted);
    return result.migrationsExecuted;
  }

  /**
   * Removes the failed records of migrations in {@link #BUILT_CONCURRENTLY}, so they run again (after
   * {@link LeftoverIndexes}). Any other failed migration stays, and Flyway refuses to go on past it: on PostgreSQL
   * only a migration run outside a transaction can leave a failed record, and only these run so.
   */
  private static void forgetFailedConcurrentBuilds(Flyway flyway, DatabaseLocation location) {
    String[] failed = Arrays.stream(flyway.info().all())
        .filter(migration -> migration.getState() == MigrationState.FAILED && migration.getVersion() != null)
        .map(migration -> migration.getVersion().getVersion())
        .filter(BUILT_CONCURRENTLY::containsKey)
        .toArray(String[]::new);
    if (failed.length == 0) {
      return;
    }
    try (Connection connection = DriverManager.getConnection(location.jdbcUrl(), location.user(),
        location.password());
        PreparedStatement forget = connection.prepareStatement("DELETE FROM " + HISTORY_TABLE
            + " WHERE NOT success AND version = ANY(?)")) {
      forget.setArray(1, connection.createArrayOf("text", failed));
      LOG.warn("migrations {} building an index concurrently failed before; {} failed records removed, they run"
          + " again", Arrays.toString(failed), forget.executeUpdate());
    } catch (SQLException e) {
      throw new IllegalStateException("could not remove the failed records of migrations "
          + Arrays.toString(failed), e);
    }
  }

  /**
   * Before a migration of {@link #BUILT_CONCURRENTLY} runs, drops an index of the name it builds: a leftover of an
   * earlier run cut short. Under Flyway's lock, so never another instance's build in progress. A plain drop, which
   * holds the table's lock for a moment, and only when an upgrade was cut short: otherwise there is nothing to drop.
   */
  private static final class LeftoverIndexes implements Callback {
    @Override
    public boolean supports(Event event, Context context) {
      return event == Event.BEFORE_EACH_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
      return true;
    }

    @Override
    public void handle(Event event, Context context) {
      MigrationInfo migration = context.getMigrationInfo();
      String index = migration == null || migration.getVersion() == null
          ? null : BUILT_CONCURRENTLY.get(migration.getVersion().getVersion());
      if (index == null) {
        return;
      }
      try (Statement statement = context.getConnection().createStatement()) {
        statement.execute("DROP INDEX IF EXISTS " + index);
      } catch (SQLException e) {
        throw new IllegalStateException("could not drop the leftover index " + index, e);
      }
    }

    @Override
    public String getCallbackName() {
      return "leftover-indexes";
    }
  }
}
