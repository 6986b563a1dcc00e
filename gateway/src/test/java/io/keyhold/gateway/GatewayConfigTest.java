package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.gateway.store.DatabaseLocation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {
  @Test
  void apiRequestsMayFillAQuarterOfThePoolQueueAndAlwaysOne() {
    assertThat(Gateway.apiRequestsInFlightMax(GatewayConfig.builder().build()))
        .isEqualTo(GatewayConfig.DEFAULT_POOL_WAIT_QUEUE_MAX / 4);
    assertThat(Gateway.apiRequestsInFlightMax(GatewayConfig.builder().poolWaitQueueMax(2).build())).isEqualTo(1);
  }

  @Test
  void defaultsAreTheNamedConstants() {
    GatewayConfig config = GatewayConfig.builder().build();

    assertThat(config.port()).isEqualTo(GatewayConfig.DEFAULT_PORT);
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.dataDir()).isEqualTo(Path.of("keyhold-data"));
    assertThat(config.pgUrl()).isNull();
    assertThat(config.poolMaxSize()).isEqualTo(16);
    assertThat(config.seedDemo()).isTrue();
  }

  @Test
  void outboundAllowListComesFromTheConfigFileAndIsEmptyByDefault() {
    GatewayConfig config = GatewayConfigFile.apply(GatewayConfig.builder(),
            new JsonObject().put("outbound_allow_hosts", new JsonArray().add("127.0.0.1").add("Shop.Internal")))
        .build();

    assertThat(GatewayConfig.builder().build().outboundAllowHosts()).isEmpty();
    assertThat(config.outboundAllowHosts()).containsExactlyInAnyOrder("127.0.0.1", "shop.internal");
    assertThat(config.toString()).contains("127.0.0.1");
    assertThatThrownBy(() -> GatewayConfigFile.apply(GatewayConfig.builder(), new JsonObject()
        .put("outbound_allow_hosts", new JsonArray().add("http://127.0.0.1:9100"))))
        .hasMessageContaining("outbound_allow_hosts").hasMessageContaining("host name or an IP literal");
    assertThatThrownBy(() -> GatewayConfigFile.apply(GatewayConfig.builder(),
            new JsonObject().put("outbound_allow_hosts", "127.0.0.1")))
        .hasMessageContaining("outbound_allow_hosts");
  }

  @Test
  void rejectsBadValuesNamingThem() {
    assertThatThrownBy(() -> GatewayConfig.builder().port(-3)).hasMessage("port must be between 0 and 65535, but was -3");
    assertThatThrownBy(() -> GatewayConfig.builder().poolMaxSize(0)).hasMessageContaining("but was 0");
    assertThatThrownBy(() -> GatewayConfig.builder().stockBatchMax(5000)).hasMessageContaining("but was 5000");
    assertThatThrownBy(() -> GatewayConfig.builder().requestTimeoutMs(60_000)).hasMessageContaining("but was 60000");
    assertThatThrownBy(() -> GatewayConfig.builder().pgUrl("mysql://root:hunter2@db/x"))
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void servesHttpOnEveryEventLoopByDefaultAndTakesTheCountFromTheConfigFile() {
    GatewayConfig config = GatewayConfigFile.apply(GatewayConfig.builder(),
        new JsonObject().put("http_instances", 3)).build();
    int cores = Runtime.getRuntime().availableProcessors();

    assertThat(GatewayConfig.builder().build().httpInstances()).isEqualTo(cores);
    assertThat(config.httpInstances()).isEqualTo(3);
    assertThat(config.toBuilder().build().httpInstances()).isEqualTo(3);
    assertThat(config.toString()).contains("httpInstances=3");
    assertThatThrownBy(() -> GatewayConfig.builder().httpInstances(0))
        .hasMessage("http instances must be between 1 and " + GatewayConfig.HTTP_INSTANCES_MAX + ", but was 0");
    assertThatThrownBy(() -> GatewayConfig.builder().httpInstances(GatewayConfig.HTTP_INSTANCES_MAX + 1))
        .hasMessageContaining("but was " + (GatewayConfig.HTTP_INSTANCES_MAX + 1));
  }

  @Test
  void runsOneEventLoopPerCoreByDefaultAndAsManyAsTheConfigFileSaysWithAServerOnEach() {
    GatewayConfig config = GatewayConfigFile.apply(GatewayConfig.builder(),
        new JsonObject().put("event_loops", 3)).build();

    assertThat(GatewayConfig.builder().build().eventLoops()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(config.eventLoops()).isEqualTo(3);
    assertThat(config.httpInstances()).as("one server per event loop unless told").isEqualTo(3);
    assertThat(GatewayConfig.builder().eventLoops(3).httpInstances(1).build().httpInstances()).isEqualTo(1);
    assertThat(config.toBuilder().build().eventLoops()).isEqualTo(3);
    assertThat(config.toString()).contains("eventLoops=3");
    assertThatThrownBy(() -> GatewayConfig.builder().eventLoops(0))
        .hasMessage("event loops must be between 1 and " + GatewayConfig.EVENT_LOOPS_MAX + ", but was 0");
  }

  @Test
  void jsonFileThenEnvironmentApplyInOrderAndUnknownKeysFail() {
    GatewayConfig config = GatewayConfigFile.apply(GatewayConfig.builder(),
            new JsonObject().put("port", 9000).put("pg_url", "postgres://a@file/db")
            .put("secrets", new JsonObject().put("admin_token", "kha_from_file_0123456789")))
        .applyEnvironment(Map.of("KEYHOLD_PG_URL", "postgres://b:pw@env:5433/db"))
        .build();

    assertThat(config.port()).isEqualTo(9000);
    assertThat(config.pgUrl()).isEqualTo("postgres://b:pw@env:5433/db");
    assertThat(config.secrets().adminToken()).isEqualTo("kha_from_file_0123456789");
    assertThat(config.toString()).doesNotContain("kha_from_file").doesNotContain("pw@");
    assertThatThrownBy(() -> GatewayConfigFile.apply(GatewayConfig.builder(), new JsonObject().put("prot", 1)))
        .hasMessageContaining("unknown config key 'prot'");
  }

  @Test
  void databaseUrlsParseInEveryFormAndHideThePassword() {
    DatabaseLocation url = DatabaseLocation.parse("postgres://keyhold:s%40cret@db.local:5433/escrow");
    DatabaseLocation jdbc = DatabaseLocation.parse("jdbc:postgresql://db.local/escrow?user=keyhold&password=s3");

    assertThat(url.password()).isEqualTo("s@cret");
    assertThat(url.port()).isEqualTo(5433);
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.local:5433/escrow");
    assertThat(url.toString()).doesNotContain("cret");
    assertThat(jdbc.user()).isEqualTo("keyhold");
    assertThat(jdbc.password()).isEqualTo("s3");
    assertThat(jdbc.port()).isEqualTo(5432);
    assertThat(DatabaseLocation.parse(url.url()).password()).isEqualTo("s@cret");
  }
}
