package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.image.ContainerImage;
import io.keyhold.gateway.store.DatabaseLocation;
import io.keyhold.gateway.testing.GatewayProcess;
import io.keyhold.gateway.testing.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The gateway's container image, as the package phase leaves it in {@code target/gateway-image.tar}: what it runs,
 * as whom, on which port, with which files, and — where this machine can (root; see {@link ContainerImage}) — that
 * its runtime really starts the gateway on a real PostgreSQL and serves the probes, the API and the metrics.
 */
class GatewayImageIT {
  private static final Path TARBALL = Path.of(System.getProperty("image.tarball", "target/gateway-image.tar"));
  /** Beside the crash test's gateway logs, which .ci/check-logs searches for secrets. */
  private static final Path LOG = Path.of(GatewayProcess.LOG_DIR, "image-gateway.log");
  private static final String DATA_DIR = "/var/lib/keyhold";

  private static Path work;
  private static ContainerImage image;

  @BeforeAll
  static void read() throws Exception {
    work = Files.createTempDirectory("keyhold-image-");
    image = ContainerImage.read(TARBALL, work);
  }

  @AfterAll
  static void clean() throws Exception {
    ContainerImage.delete(work);
  }

  /** The config the image's Cmd gives the gateway, parsed by the gateway's own command line. */
  private static GatewayConfig commandConfig() throws Exception {
    GatewayMain main = new GatewayMain(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    new CommandLine(main).parseArgs(image.cmd().toArray(String[]::new));
    return main.config();
  }

  @Test
  void runsTheGatewayAsANonRootUserOnThePortItListensOn() throws Exception {
    GatewayConfig config = commandConfig();

    assertThat(image.repoTags()).containsExactly(System.getProperty("image.reference"));
    assertThat(image.user()).matches("[0-9]+:[0-9]+").doesNotStartWith("0:");
    assertThat(image.entrypoint()).first().isEqualTo("/opt/java/bin/java");
    assertThat(image.entrypoint()).last().isEqualTo(GatewayMain.class.getName());
    assertThat(image.entrypoint()).containsSubsequence("-cp", "@/app/jib-classpath-file")
        .contains("-XX:+ExitOnOutOfMemoryError").anyMatch(flag -> flag.startsWith("-XX:MaxRAMPercentage="));
    assertThat(config.host()).as("a container's port is reached from outside it").isEqualTo("0.0.0.0");
    assertThat(config.port()).isEqualTo(GatewayConfig.DEFAULT_PORT);
    assertThat(image.exposedPorts()).containsExactly(config.port() + "/tcp");
    assertThat(config.dataDir()).isEqualTo(Path.of(DATA_DIR));
  }

  @Test
  void theDeployFilesNameThisImageAndItsUser() throws Exception {
    Map<String, Object> deployment = DeployManifestsTest.k8s("Deployment");

    assertThat(DeployManifestsTest.container(deployment).get("image")).isIn(image.repoTags());
    assertThat(DeployManifestsTest.path(deployment, "spec.template.spec.securityContext.runAsUser"))
        .isEqualTo(Integer.parseInt(image.user().split(":")[0]));
    assertThat(DeployManifestsTest.gatewayServices().values()).extracting(service -> service.get("image"))
        .hasSize(2).allMatch(image.repoTags()::contains);
  }

  @Test
  void itsFilesBelongToRootExceptWhatTheUserMustWrite() {
    long uid = Long.parseLong(image.user().split(":")[0]);
    ContainerImage.FileEntry dataDir = image.files().get(DATA_DIR);

    assertThat(dataDir.directory()).isTrue();
    assertThat(dataDir.uid()).isEqualTo(uid);
    assertThat(dataDir.mode()).as("secrets are kept there").isEqualTo(0700);
    assertThat(image.files().get("/tmp").mode()).isEqualTo(01777);
    assertThat(image.files().get("/opt/java/bin/java").executable()).isTrue();
    assertThat(image.files()).containsKeys("/app/jib-classpath-file", "/etc/passwd", "/lib64/ld-linux-x86-64.so.2",
        "/usr/share/doc/keyhold-java-runtime/libraries.txt", "/usr/share/doc/libc6/copyright");
    assertThat(image.files().values()).as("only the user's folders are the user's")
        .filteredOn(file -> file.uid() == uid).extracting(ContainerImage.FileEntry::path)
        .containsExactlyInAnyOrder(DATA_DIR, "/home/nonroot");
    assertThat(image.files().values()).as("nothing runs with other rights than the caller's")
        .noneMatch(file -> (file.mode() & 06000) != 0);
  }

  @Test
  void theImageRunsTheGatewayOnARealDatabase() throws Exception {
    ContainerImage.requireRunnable();
    Path root = image.unpack(work.resolve("root"));
    DatabaseLocation server = TestDatabase.fresh();
    // By name, as a container reaches its database: name resolution in the image (glibc, /etc/hosts) works.
    DatabaseLocation database = new DatabaseLocation("localhost", server.port(), server.database(), server.user(),
        server.password());
    int port = ContainerImage.freePort();
    String adminToken = "kha_test_" + UUID.randomUUID();
    // The image's own command, but listening on loopback: a test opens nothing to the network.
    List<String> args = new ArrayList<>(image.cmd());
    args.set(args.indexOf("0.0.0.0"), "127.0.0.1");
    args.addAll(List.of("--port", Integer.toString(port), "--pg-url", database.url(), "--no-demo"));
    Process process = image.start(root, args, Map.of(GatewayConfig.ENV_ADMIN_TOKEN, adminToken), LOG);
    int exit;
    try {
      String base = "http://127.0.0.1:" + port;
      ContainerImage.awaitOk(base + "/health/ready", process, LOG);
      HttpClient http = HttpClient.newHttpClient();

      assertThat(get(http, base + "/health/live", null).statusCode()).isEqualTo(200);
      assertThat(get(http, base + "/openapi.yaml", null).statusCode()).isEqualTo(200);
      HttpResponse<String> metrics = get(http, base + "/metrics", adminToken);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("jvm_memory_used_bytes");
      HttpResponse<String> merchant = http.send(HttpRequest.newBuilder(URI.create(base + "/admin/v1/merchants"))
          .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
          .header("Idempotency-Key", "image-" + port)
          .POST(HttpRequest.BodyPublishers.ofString(
              new JsonObject().put("name", "Image Shop").put("fee_basis_points", 250).encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(merchant.statusCode()).as(merchant.body()).isEqualTo(201);
      assertThat(get(http, base + "/v1/evidence-key", null).statusCode()).isEqualTo(200);
      assertThat(Files.getAttribute(root.resolve(DATA_DIR.substring(1)).resolve("secrets.properties"), "unix:uid"))
          .as("the gateway wrote its generated secrets as the image's user")
          .isEqualTo(Integer.parseInt(image.user().split(":")[0]));
    } finally {
      exit = ContainerImage.stop(process, Duration.ofSeconds(60));
    }
    assertThat(exit).as("SIGTERM stops the gateway through its shutdown hook; see %s", LOG).isIn(0, 143);
  }

  private static HttpResponse<String> get(HttpClient http, String url, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
