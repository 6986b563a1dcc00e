package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.gateway.testing.TestGateway;
import io.keyhold.gateway.testing.TestGateway.Merchant;
import io.keyhold.gateway.testing.TestGateway.Response;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /metrics} names merchants and their breakers' states: only the operator and its scraper read it. */
class MetricsAccessTest {
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
  void metricsRefuseCallersWithoutTheAdminToken() {
    Merchant merchant = gw.createMerchant("Curious shop");

    Response anonymous = gw.get("/metrics", null);
    Response shop = gw.get("/metrics", merchant.apiKey());
    Response wrong = gw.get("/metrics", gw.adminToken() + "x");

    for (Response refused : new Response[] {anonymous, shop, wrong}) {
      assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
      assertThat(refused.problemCode()).isEqualTo("unauthenticated");
      assertThat(refused.headers().get("www-authenticate")).isEqualTo("Bearer");
      assertThat(refused.body()).doesNotContain(merchant.id()).doesNotContain("keyhold_");
    }
  }

  @Test
  void metricsAreServedToTheAdminToken() {
    Response metrics = gw.get("/metrics", gw.adminToken());

    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("keyhold_api_requests_in_flight");
  }

  @Test
  void aMetricsTokenReadsTheMetricsAndNothingElse() throws Exception {
    String scraper = "khm_scraper_" + UUID.randomUUID();
    try (TestGateway scraped = TestGateway.start(config -> config.metricsToken(scraper))) {
      Response metrics = scraped.get("/metrics", scraper);
      Response audit = scraped.get("/admin/v1/audit", scraper);

      assertThat(metrics.status()).isEqualTo(200);
      assertThat(metrics.body()).contains("keyhold_api_requests_in_flight");
      assertThat(scraped.get("/metrics", scraped.adminToken()).status()).isEqualTo(200);
      assertThat(audit.status()).as(audit.toString()).isEqualTo(401);
    }
  }

  @Test
  void aMetricsTokenShorterThanTheAdminTokensMinimumIsRefused() {
    assertThatThrownBy(() -> GatewayConfig.builder().metricsToken("short"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("metrics token must be at least 16 characters, but was 5 characters");
  }
}
