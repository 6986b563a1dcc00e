package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.Gateway;
import io.keyhold.gateway.GatewayConfig;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The Testcontainers path: a gateway migrates and serves on a PostgreSQL 15 container. Skipped
 * where no Docker engine runs (as on the development machine); the other tests then use
 * KEYHOLD_TEST_PG_URL or embedded PostgreSQL.
 */
@Testcontainers(disabledWithoutDocker = true)
class TestcontainersDatabaseTest {
  @Container
  static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer("postgres:15-alpine");

  @TempDir
  Path dataDir;

  @Test
  void gatewayMigratesAndAnswersReadyOnPostgres15() throws Exception {
    DatabaseLocation location = new DatabaseLocation(POSTGRES.getHost(), POSTGRES.getMappedPort(5432),
        POSTGRES.getDatabaseName(), POSTGRES.getUsername(), POSTGRES.getPassword());
    GatewayConfig config = GatewayConfig.builder().host("127.0.0.1").port(0).dataDir(dataDir).pgUrl(location.url())
        .adminToken("kha_" + UUID.randomUUID()).build();

    try (Gateway gateway = Gateway.start(config)) {
      var response = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + gateway.port() + "/health/ready"))
              .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
    }
  }
}
