package io.keyhold.gateway.testing;

import io.keyhold.gateway.store.DatabaseLocation;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * An embedded PostgreSQL of a test's own, which the test stops and starts again on the same data folder
 * and port: a database outage for real (clients see refused connections, lost connections and the
 * server's own shutdown messages). Not the shared server of {@link TestDatabase}, which other tests use.
 */
public final class RestartablePostgres implements AutoCloseable {
  public static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Path dataDir;
  private EmbeddedPostgres postgres;
  private int port;

  private RestartablePostgres(Path dataDir) {
    this.dataDir = dataDir;
  }

  /** Creates a cluster in a temporary folder and starts it on a free port. Blocking. */
  public static RestartablePostgres start() throws IOException {
    RestartablePostgres server = new RestartablePostgres(Files.createTempDirectory("keyhold-restart-pg-"));
    server.startAgain();
    return server;
  }

  /** Where the server's default database is (the same across restarts). */
  public DatabaseLocation location() {
    return new DatabaseLocation("127.0.0.1", port, "postgres", "postgres", "");
  }

  /** Whether the server runs now. */
  public synchronized boolean running() {
    return postgres != null;
  }

  /** Stops the server (PostgreSQL's fast shutdown: sessions are ended, what was committed stays). Blocking. */
  public synchronized void stop() throws IOException {
    if (postgres != null) {
      EmbeddedPostgres running = postgres;
      postgres = null;
      running.close();
    }
  }

  /** Starts the server again on the same data folder and port (a free port the first time). Blocking. */
  public synchronized void startAgain() throws IOException {
    if (postgres != null) {
      return;
    }
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .setPGStartupWait(START_TIMEOUT)
        .setServerConfig("max_connections", "100");
    if (port != 0) {
      builder.setPort(port);
    }
    postgres = builder.start();
    port = postgres.getPort();
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      stop();
    } finally {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }
}
