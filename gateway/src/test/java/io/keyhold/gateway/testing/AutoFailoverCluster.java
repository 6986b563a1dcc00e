package io.keyhold.gateway.testing;

import io.keyhold.gateway.store.DatabaseLocation;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL 15 primary and its synchronous standby under pg_auto_failover (a monitor and two nodes) on
 * 127.0.0.1 and free ports, started and stopped by the repository's {@value #SCRIPT}, the script an operator
 * rehearses a failover with: the test and the rehearsal run one set-up. Needs Debian's
 * {@code postgresql-15-auto-failover} and {@code pg-auto-failover-cli} ({@link #installed()}); {@code .ci/run}
 * installs them. Closing it stops every process it started and removes its folder, also after a failed start.
 */
public final class AutoFailoverCluster implements AutoCloseable {
  public static final String SCRIPT = "deploy/failover/pg-cluster.sh";
  public static final String INSTALL = "apt-get install -y postgresql-15-auto-failover pg-auto-failover-cli"
      + " (bash .ci/run installs them under CI)";
  public static final String DATABASE = "keyhold";
  public static final String ROLE = "keyhold";
  /** initdb of three clusters and a base backup on a busy 2-core machine; the script bounds each wait itself. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(150);
  public static final Duration FAILOVER_TIMEOUT = Duration.ofSeconds(90);
  public static final Duration STOP_TIMEOUT = Duration.ofSeconds(90);
  public static final String LOG_DIR = "target/failover-cluster";
  private static final List<String> PG_AUTOCTL = List.of("/usr/bin/pg_autoctl", "/usr/local/bin/pg_autoctl");
  private static final Path PG_CTL = Path.of("/usr/lib/postgresql/15/bin/pg_ctl");

  private final Path root;
  private final Path dir;
  private final Path log;
  private final int monitorPort;
  private final int node1Port;
  private final int node2Port;

  private AutoFailoverCluster(Path root, Path dir, Path log, int monitorPort, int node1Port, int node2Port) {
    this.root = root;
    this.dir = dir;
    this.log = log;
    this.monitorPort = monitorPort;
    this.node1Port = node1Port;
    this.node2Port = node2Port;
  }

  /** Whether pg_autoctl and PostgreSQL 15's server are installed where Debian puts them. */
  public static boolean installed() {
    return PG_AUTOCTL.stream().anyMatch(path -> Files.isExecutable(Path.of(path))) && Files.isExecutable(PG_CTL);
  }

  /** Starts the monitor, node1 (the primary) and node2 (its synchronous standby). Blocking. */
  public static AutoFailoverCluster start() throws IOException, InterruptedException {
    Path root = repositoryRoot();
    // The script creates the folder itself (it must be absent or empty), owned by the user pg_autoctl runs as.
    Path dir = Files.createTempDirectory("keyhold-failover-");
    Path logs = Files.createDirectories(Path.of(LOG_DIR));
    Path log = logs.resolve(dir.getFileName() + ".log");
    int[] ports = freePorts(3);
    AutoFailoverCluster cluster = new AutoFailoverCluster(root, dir, log, ports[0], ports[1], ports[2]);
    try {
      cluster.run(START_TIMEOUT, "start");
    } catch (IOException | RuntimeException | InterruptedException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * The gateway's URL for the pair: both nodes, in the form {@code pg_autoctl show uri} prints, the read-write
   * one chosen on every connection.
   */
  public DatabaseLocation location() {
    return DatabaseLocation.parse("postgres://" + ROLE + "@127.0.0.1:" + node1Port + ",127.0.0.1:" + node2Port + "/"
        + DATABASE + "?target_session_attrs=read-write");
  }

  /** One node alone (1 or 2), for checking what it holds. */
  public DatabaseLocation node(int node) {
    return new DatabaseLocation("127.0.0.1", node == 1 ? node1Port : node2Port, DATABASE, ROLE, "");
  }

  /** The node that takes writes now (1 or 2), asked of the nodes themselves; 0 when neither does. */
  public int primary() {
    for (int node = 1; node <= 2; node++) {
      try (Connection connection = connect(node(node)); Statement statement = connection.createStatement();
           ResultSet rows = statement.executeQuery("SELECT pg_is_in_recovery()")) {
        if (rows.next() && !rows.getBoolean(1)) {
          return node;
        }
      } catch (SQLException e) {
        // Down or restarting: not the primary now.
      }
    }
    return 0;
  }

  /** The monitor fails the primary over to the standby; returns once the new primary serves. Blocking. */
  public void failover() throws IOException, InterruptedException {
    run(FAILOVER_TIMEOUT, "failover");
  }

  /** The monitor's view of the nodes, for a test's output. */
  public String state() throws IOException, InterruptedException {
    return run(Duration.ofSeconds(20), "state");
  }

  /** A JDBC connection to {@code location} with a short login timeout. */
  public static Connection connect(DatabaseLocation location) throws SQLException {
    DriverManager.setLoginTimeout(5);
    return DriverManager.getConnection(location.jdbcUrl(), location.user(), location.password());
  }

  @Override
  public void close() throws IOException, InterruptedException {
    run(STOP_TIMEOUT, "stop");
  }

  private String run(Duration timeout, String command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder("bash", root.resolve(SCRIPT).toString(), command, dir.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = builder.environment();
    env.put("MONITOR_PORT", Integer.toString(monitorPort));
    env.put("NODE1_PORT", Integer.toString(node1Port));
    env.put("NODE2_PORT", Integer.toString(node2Port));
    long before = Files.size(log.toFile().exists() ? log : Files.createFile(log));
    Process process = builder.start();
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw new IllegalStateException(SCRIPT + " " + command + " did not finish within " + timeout + "; see " + log);
    }
    String output = tail(log, before);
    if (process.exitValue() != 0) {
      throw new IllegalStateException(SCRIPT + " " + command + " exited with " + process.exitValue() + " (see "
          + log + "):\n" + output);
    }
    return output;
  }

  private static String tail(Path log, long from) throws IOException {
    byte[] all = Files.readAllBytes(log);
    return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
        StandardCharsets.UTF_8);
  }

  private static int[] freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  /** The folder holding {@code .ci/run}: the module's parent when Maven runs the tests. */
  private static Path repositoryRoot() {
    for (Path folder = Path.of("").toAbsolutePath(); folder != null; folder = folder.getParent()) {
      if (Files.exists(folder.resolve(".ci/run"))) {
        return folder;
      }
    }
    throw new IllegalStateException("no .ci/run above " + Path.of("").toAbsolutePath());
  }
}
