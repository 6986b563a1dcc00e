package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.escrow.KeyVerdict;
import io.keyhold.gateway.GatewayConfig;
import io.keyhold.gateway.GatewayConfigFile;
import io.keyhold.gateway.store.OutboxBackoff;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's configuration, backoff and verdict rules. */
class EngineConfigTest {

  @Test
  void rejectsBadValuesNamingThem() {
    assertThatThrownBy(() -> EngineConfig.builder().sweepBatchMax(0))
        .hasMessage("sweep batch max must be between 1 and 10000, but was 0");
    assertThatThrownBy(() -> EngineConfig.builder().outboxIntervalMs(-3))
        .hasMessageContaining("but was -3");
    assertThatThrownBy(() -> EngineConfig.builder().outboxBackoffBaseMs(1000).outboxBackoffMaxMs(10).build())
        .hasMessageContaining("at least the base");
    assertThatThrownBy(() -> EngineConfig.builder().applyJson(new JsonObject().put("sweep_intervall_ms", 5)))
        .hasMessageContaining("engine.sweep_intervall_ms");
  }

  @Test
  void readsTheEngineSectionOfTheConfigFile() {
    GatewayConfig config = GatewayConfigFile.apply(GatewayConfig.builder(), new JsonObject().put("engine",
        new JsonObject().put("sweep_interval_ms", 250).put("sandbox_chaos", true).put("outbox_attempts_max", 5))).build();

    assertThat(config.engine().sweepIntervalMs()).isEqualTo(250);
    assertThat(config.engine().sandboxChaos()).isTrue();
    assertThat(config.engine().outboxAttemptsMax()).isEqualTo(5);
    assertThat(config.engine().outboxBatchMax()).isEqualTo(EngineConfig.DEFAULT_OUTBOX_BATCH_MAX);
  }

  @Test
  void backsOffExponentiallyUpToTheCap() {
    Duration base = Duration.ofMillis(100);
    Duration max = Duration.ofSeconds(1);

    assertThat(OutboxBackoff.afterFailure(base, max, 1)).isEqualTo(Duration.ofMillis(100));
    assertThat(OutboxBackoff.afterFailure(base, max, 3)).isEqualTo(Duration.ofMillis(400));
    assertThat(OutboxBackoff.afterFailure(base, max, 5)).isEqualTo(max);
    assertThat(OutboxBackoff.afterFailure(base, max, 80)).isEqualTo(max);
  }

  @Test
  void judgesAKeyValidOnlyWhenEveryValidatorSaysSo() {
    assertThat(KeyChecks.combine(List.of(KeyVerdict.VALID, KeyVerdict.VALID))).isEqualTo(KeyVerdict.VALID);
    assertThat(KeyChecks.combine(List.of(KeyVerdict.VALID, KeyVerdict.UNKNOWN))).isEqualTo(KeyVerdict.UNKNOWN);
    assertThat(KeyChecks.combine(List.of(KeyVerdict.REDEEMED, KeyVerdict.UNKNOWN))).isEqualTo(KeyVerdict.REDEEMED);
    assertThat(KeyChecks.combine(List.of(KeyVerdict.REDEEMED, KeyVerdict.INVALID))).isEqualTo(KeyVerdict.INVALID);
    assertThat(KeyChecks.combine(List.of())).isEqualTo(KeyVerdict.VALID);
  }

  @Test
  void countsAFailingValidatorAsUnknownNeverAsValid() {
    // A stand-in validator, because a validator that fails its future instead of answering breaks the SPI
    // contract and no real one can be made to.
    KeyValidator broken = (sku, key) -> Future.failedFuture(new IllegalStateException("boom"));
    KeyValidator valid = (sku, key) -> Future.succeededFuture(KeyVerdict.VALID);

    Future<KeyVerdict> verdict = KeyChecks.verdict(List.of(valid, broken), "sku_x", CardKey.of("K"));

    assertThat(verdict.result()).isEqualTo(KeyVerdict.UNKNOWN);
  }
}
