package io.keyhold.adapters.reference;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.image.ContainerImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The reference merchant's container image, as the package phase leaves it in
 * {@code target/reference-merchant-image.tar}: what it runs, as whom, on which port, and that it really serves.
 */
class ReferenceMerchantImageIT {
  private static final Path TARBALL = Path.of(System.getProperty("image.tarball",
      "target/reference-merchant-image.tar"));
  private static final Path LOG = Path.of("target/image-processes/reference-merchant.log");

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

  @Test
  void runsTheReferenceMerchantAsANonRootUserOnThePortItListensOn() {
    ReferenceMerchantMain main = new ReferenceMerchantMain();
    new CommandLine(main).parseArgs(image.cmd().toArray(String[]::new));
    ReferenceMerchantOptions options = main.options();

    assertThat(image.repoTags()).containsExactly(System.getProperty("image.reference"));
    assertThat(image.user()).matches("[0-9]+:[0-9]+").doesNotStartWith("0:");
    assertThat(image.entrypoint()).first().isEqualTo("/opt/java/bin/java");
    assertThat(image.entrypoint()).last().isEqualTo(ReferenceMerchantMain.class.getName());
    assertThat(image.entrypoint()).contains("-XX:+ExitOnOutOfMemoryError")
        .anyMatch(flag -> flag.startsWith("-XX:MaxRAMPercentage="));
    assertThat(options.host()).as("a container's port is reached from outside it").isEqualTo("0.0.0.0");
    assertThat(image.exposedPorts()).containsExactly(options.port() + "/tcp");
    assertThat(image.files().get("/opt/java/bin/java").executable()).isTrue();
    assertThat(image.files().values()).noneMatch(file -> (file.mode() & 06000) != 0);
  }

  @Test
  void theImageRunsAndAnswersItsProbes() throws Exception {
    ContainerImage.requireRunnable();
    Path root = image.unpack(work.resolve("root"));
    int port = ContainerImage.freePort();
    // The image's own command, listening on loopback only and on a free port: a test opens nothing to the network.
    List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port)));
    Process process = image.start(root, args, Map.of(), LOG);
    try {
      String base = "http://127.0.0.1:" + port;
      ContainerImage.awaitOk(base + "/health/ready", process, LOG);
      HttpClient http = HttpClient.newHttpClient();
      for (String path : List.of("/health/live", "/health/ready", "/_stats")) {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(path).isEqualTo(200);
      }
    } finally {
      ContainerImage.stop(process, Duration.ofSeconds(30));
    }
  }
}
