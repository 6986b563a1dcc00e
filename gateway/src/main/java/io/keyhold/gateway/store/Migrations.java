package io.keyhold.gateway.store;

import org.flywaydb.core.Flyway;
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
 */
final class Migrations {
  public static final String LOCATION = "classpath:db/migration";

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {}

  /** Migrates the database to the newest version; answers how many migrations ran now. */
  public static int apply(DatabaseLocation location) {
    FluentConfiguration configuration = Flyway.configure()
        .dataSource(location.jdbcUrl(), location.user(), location.password())
        .locations(LOCATION)
        .failOnMissingLocations(true);
    // A session lock, not one held in an open transaction: CREATE INDEX CONCURRENTLY waits for every open
    // transaction, Flyway's own lock included, and would wait for it forever.
    configuration.getPluginRegister().getPlugin(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
    Flyway flyway = configuration.load();
    MigrateResult result = flyway.migrate();
    // Flyway names a target version only when it applied something; otherwise the schema stayed where it was.
    String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
    LOG.info("database {} at schema version {} ({} migrations applied now)",
        location, version, result.migrationsExecuted);
    return result.migrationsExecuted;
  }
}
