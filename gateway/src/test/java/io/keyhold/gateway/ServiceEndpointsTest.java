package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ServiceEndpointsTest {
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
    assertThat(metrics.body()).contains("vertx_http_server_requests_total").contains("jvm_memory_used_bytes")
        .contains("vertx_pool_");
    assertThat(gw.gateway().meterRegistry().scrape()).contains("vertx_http_server_requests_total");
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
