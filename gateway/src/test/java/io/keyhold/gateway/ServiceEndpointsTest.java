package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ServiceEndpointsTest {
  private static final int SOCKET_TIMEOUT_MS = 10_000;
  private static final long POLL_MS = 20;
  private static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void healthAnswersUpAndReadyChecksTheDatabase() {
    Response health = gw.get("/health", null);
    Response ready = gw.get("/health/ready", null);

    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().getString("status")).isEqualTo("up");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().getString("status")).isEqualTo("ready");
  }

  @Test
  void metricsAreServedInPrometheusFormatFromTheSharedRegistry() {
    gw.get("/health", null);

    Response metrics = gw.get("/metrics", gw.adminToken());

    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.contentType()).startsWith("text/plain");
    assertThat(metrics.body()).contains("keyhold_api_answer_seconds").contains("keyhold_http_connections_open")
        .contains("jvm_memory_used_bytes").contains("vertx_pool_");
    assertThat(gw.gateway().meterRegistry().scrape()).contains("keyhold_api_answer_seconds");
  }

  @Test
  void keepsNoPerRequestVertxHttpServerMetersSinceTheAnswerTimerCoversThem() {
    gw.get("/health", null);

    assertThat(gw.get("/metrics", gw.adminToken()).body()).doesNotContain("vertx_http_server_");
  }

  @Test
  void countsTheHttpConnectionsHeldOpen() throws Exception {
    int before;
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gw.gateway().port())) {
      socket.setSoTimeout(SOCKET_TIMEOUT_MS);
      // One request, kept alive: the connection stays open after its answer.
      socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      byte[] head = new byte[12];
      assertThat(socket.getInputStream().readNBytes(head, 0, head.length)).isEqualTo(head.length);
      assertThat(new String(head, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
      before = openConnections();
      assertThat(before).isPositive();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SOCKET_TIMEOUT_MS);
    while (openConnections() >= before && System.nanoTime() < deadline) {
      Thread.sleep(POLL_MS);
    }

    assertThat(openConnections()).as("open connections once ours closed").isLessThan(before);
  }

  private static int openConnections() {
    return (int) gw.gateway().meterRegistry().get(OpenConnections.GAUGE).gauge().value();
  }

  @Test
  void theOpenApiDocumentIsServedAndDescribesTheRoutes() {
    Response document = gw.get("/openapi.yaml", null);

    assertThat(document.status()).isEqualTo(200);
    assertThat(document.contentType()).isEqualTo("application/yaml");
    assertThat(document.body()).contains("openapi: 3.1.0").contains("operationId: createMerchant")
        .contains("operationId: createSku").contains("operationId: getSku").contains("operationId: uploadStock")
        .contains("operationId: getStock");
  }

  @Test
  void theFingerprintKeyIsPinnedInTheDatabase() {
    assertThat(gw.query("SELECT value FROM gateway_meta WHERE name = 'fingerprint_key_check'")).hasSize(1);
  }
}
