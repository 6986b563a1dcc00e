package io.keyhold.simulator.env;

import io.keyhold.gateway.Gateway;
import io.keyhold.gateway.GatewayConfig;
import io.keyhold.gateway.engine.EngineConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A gateway started in this process for one run, on 127.0.0.1 and a free port, with a fresh data
 * folder (embedded PostgreSQL inside it, unless a PostgreSQL URL is given) that is deleted at
 * {@link #stop()}. The simulator still reaches it over HTTP only. Its outbound allow-list names
 * {@value #SHOPS_HOST}, where the simulator's remote shops and issuers listen over plain http.
 */
public final class EmbeddedGateway implements GatewayTarget {
  /** Where the simulated remote shops listen: the one host the gateway may send to outside public https. */
  public static final String SHOPS_HOST = "127.0.0.1";
  /**
   * With an epay site: how long after its start a payment whose notice has not come is asked about. The site
   * sends its notices within a second, repeats and reordering included; a run lasts seconds to minutes, so the
   * gateway's production default (a minute) would leave a dropped notice unrecovered within most runs.
   */
  public static final long EPAY_POLL_AFTER_MS = 3_000;
  public static final long EPAY_POLL_INTERVAL_MS = 1_000;

  private final Gateway gateway;
  private final Path dataDir;
  private final boolean deleteDataDir;
  private final String adminToken;
  private final boolean externalDatabase;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private EmbeddedGateway(Gateway gateway, Path dataDir, boolean deleteDataDir, String adminToken,
      boolean externalDatabase) {
    this.gateway = gateway;
    this.dataDir = dataDir;
    this.deleteDataDir = deleteDataDir;
    this.adminToken = adminToken;
    this.externalDatabase = externalDatabase;
  }

  /**
   * Starts a gateway. Blocking (about a second for the embedded database, plus migrations).
   *
   * @param dataDir the data folder, or null for a fresh temporary one deleted at close
   * @param pgUrl a PostgreSQL URL, or null for an embedded server in the data folder
   * @param poolMaxSize the gateway's pool size, or 0 for its default
   * @param noticeChaos whether the sandbox payment provider repeats and reorders its notices
   */
  public static EmbeddedGateway start(Path dataDir, String pgUrl, int poolMaxSize, boolean noticeChaos)
      throws Exception {
    return start(dataDir, pgUrl, poolMaxSize, noticeChaos, (JsonObject) null);
  }

  /**
   * Starts a gateway whose checkout pays through {@code epay} when its settings are given: its {@code epay}
   * provider is configured so ({@code payments.providers.epay}: base URL, pid, key), and it asks the site about a
   * payment whose notice has not come after {@value #EPAY_POLL_AFTER_MS} ms, so a notice the site dropped is
   * recovered within the run.
   *
   * @param epay the epay provider's settings ({@link EpayStandIn#providerConfig()}), or null for the sandbox
   */
  public static EmbeddedGateway start(Path dataDir, String pgUrl, int poolMaxSize, boolean noticeChaos,
      JsonObject epay) throws Exception {
    boolean temporary = dataDir == null;
    Path dir = temporary ? Files.createTempDirectory("keyhold-simulator-") : dataDir;
    String token = "sim_admin_" + HexFormat.of().formatHex(randomBytes());
    GatewayConfig.Builder config = GatewayConfig.builder()
        .host("127.0.0.1")
        .port(0)
        .dataDir(dir)
        .seedDemo(false)
        .adminToken(token)
        .pgUrl(pgUrl)
        .outboundAllowHosts(List.of(SHOPS_HOST))
        .engine(engine(noticeChaos, epay));
    if (poolMaxSize > 0) {
      config.poolMaxSize(poolMaxSize);
    }
    try {
      Gateway gateway = Gateway.start(config.build());
      return new EmbeddedGateway(gateway, dir, temporary, token, pgUrl != null);
    } catch (Exception e) {
      if (temporary) {
        deleteTree(dir);
      }
      throw e;
    }
  }

  private static EngineConfig engine(boolean noticeChaos, JsonObject epay) {
    EngineConfig.Builder engine = EngineConfig.builder().sandboxChaos(noticeChaos);
    if (epay != null) {
      engine.checkoutProvider("epay").paymentProviders(new JsonObject().put("epay", epay))
          .paymentPollAfterMs(EPAY_POLL_AFTER_MS).paymentPollIntervalMs(EPAY_POLL_INTERVAL_MS);
    }
    return engine.build();
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  @Override
  public String baseUrl() {
    return "http://127.0.0.1:" + gateway.port();
  }

  @Override
  public String adminToken() {
    return adminToken;
  }

  @Override
  public String describe() {
    return "embedded gateway at " + baseUrl() + " (" + (externalDatabase ? "PostgreSQL at the given URL"
        : "embedded PostgreSQL") + ", data in " + dataDir + (deleteDataDir ? ", deleted after the run" : "") + ")";
  }

  /** The gateway's process id is this one: its resident memory is the simulator's too. */
  public Gateway gateway() {
    return gateway;
  }

  /** Stops the gateway and deletes a temporary data folder; safe to call twice (a shutdown hook may race the run). */
  @Override
  public void stop() throws Exception {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    try {
      gateway.close();
    } finally {
      if (deleteDataDir) {
        deleteTree(dataDir);
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
