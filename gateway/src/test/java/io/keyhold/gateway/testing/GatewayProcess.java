package io.keyhold.gateway.testing;

import io.keyhold.gateway.GatewayMain;
import io.keyhold.gateway.store.DatabaseLocation;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A gateway in its own operating-system process (the {@link GatewayMain} a production start runs, with the
 * JVM options docs/operations.md recommends), on a database that outlives it: the one way a test can kill it
 * as a crash would ({@code SIGKILL}) and start it again. Its output goes to {@value #LOG_DIR}, one file per
 * start, kept for whoever reads a failed build.
 */
public final class GatewayProcess implements AutoCloseable {
  /** The production JVM options of docs/operations.md. */
  public static final List<String> JVM_OPTIONS = List.of("-Xms128m", "-Xmx128m", "-Xss512k", "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=48m", "-XX:MaxMetaspaceSize=128m", "-XX:+ExitOnOutOfMemoryError");
  public static final long READY_POLL_MS = 25;
  public static final String LOG_DIR = "target/gateway-processes";

  private final Path dataDir;
  private final DatabaseLocation database;
  private final int port;
  private final String adminToken;
  private final Path config;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;
  private int starts;

  /** A gateway on {@code port} with its data (secrets) under {@code dataDir}; {@code config} may be null. */
  public GatewayProcess(Path dataDir, DatabaseLocation database, int port, String adminToken, Path config) {
    this.dataDir = dataDir;
    this.database = database;
    this.port = port;
    this.adminToken = adminToken;
    this.config = config;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** Starts the process (it must not be running); does not wait for it. */
  public void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("gateway on port " + port + " is running already");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_OPTIONS);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), GatewayMain.class.getName(),
        "--port", Integer.toString(port), "--data-dir", dataDir.toString(), "--pg-url", database.url(), "--no-demo"));
    if (config != null) {
      command.addAll(List.of("--config", config.toString()));
    }
    Files.createDirectories(dataDir);
    Path logs = Files.createDirectories(Path.of(LOG_DIR));
    Path log = logs.resolve("gateway-" + port + "-" + (++starts) + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("KEYHOLD_ADMIN_TOKEN", adminToken);
    process = builder.start();
  }

  /** Waits until {@code /health/ready} answers 200; answers how long that took, or fails after {@code limit}. */
  public Duration awaitReady(Duration limit) throws InterruptedException {
    long start = System.nanoTime();
    long giveUp = start + limit.toNanos();
    while (System.nanoTime() < giveUp) {
      if (!process.isAlive()) {
        throw new IllegalStateException("gateway on port " + port + " exited with " + process.exitValue()
            + "; see " + dataDir);
      }
      if (ready()) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      Thread.sleep(READY_POLL_MS);
    }
    throw new IllegalStateException("gateway on port " + port + " not ready within " + limit + "; see " + dataDir);
  }

  private boolean ready() throws InterruptedException {
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl() + "/health/ready"))
          .timeout(Duration.ofSeconds(2)).GET().build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code SIGKILL}, as the kernel's OOM killer or {@code kill -9} would; waits until the process is gone. */
  public void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor();
    }
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
