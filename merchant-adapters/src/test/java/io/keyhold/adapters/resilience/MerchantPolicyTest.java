package io.keyhold.adapters.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class MerchantPolicyTest {

  @Test
  void defaultsAreTheNamedConstants() {
    MerchantPolicy policy = MerchantPolicy.defaults();

    assertThat(policy.timeoutMs()).isEqualTo(MerchantPolicy.DEFAULT_TIMEOUT_MS);
    assertThat(policy.maxConcurrentCalls()).isEqualTo(MerchantPolicy.DEFAULT_MAX_CONCURRENT_CALLS);
    assertThat(policy.retryMaxAttempts()).isEqualTo(MerchantPolicy.DEFAULT_RETRY_MAX_ATTEMPTS);
  }

  @Test
  void theBuilderRejectsValuesOutOfRangeSayingWhatItGot() {
    assertThatThrownBy(() -> MerchantPolicy.builder().timeoutMs(-3))
        .hasMessage("timeoutMs must be between 1 and 60000, but was -3");
    assertThatThrownBy(() -> MerchantPolicy.builder().maxConcurrentCalls(5_000))
        .hasMessage("maxConcurrentCalls must be between 1 and 1024, but was 5000");
    assertThatThrownBy(() -> MerchantPolicy.builder().retryBackoffMultiplier(0.5))
        .hasMessage("retryBackoffMultiplier must be between 1.0 and 10.0, but was 0.5");
    assertThatThrownBy(() -> MerchantPolicy.builder().slidingWindowCalls(5).minimumCalls(10).build())
        .hasMessage("minimumCalls must be at most slidingWindowCalls (5), but was 10");
  }

  @Test
  void readsConfigurationAndRejectsUnknownFields() {
    MerchantPolicy policy = MerchantPolicy.fromJson(new JsonObject().put("timeout_ms", 500).put("retry_max_attempts", 1));

    assertThat(policy.timeoutMs()).isEqualTo(500);
    assertThat(policy.retryMaxAttempts()).isEqualTo(1);
    assertThat(policy.minimumCalls()).isEqualTo(MerchantPolicy.DEFAULT_MINIMUM_CALLS);
    assertThatThrownBy(() -> MerchantPolicy.fromJson(new JsonObject().put("timeout_msec", 500)))
        .hasMessageContaining("unknown policy field 'timeout_msec'");
    assertThatThrownBy(() -> MerchantPolicy.fromJson(new JsonObject().put("timeout_ms", "fast")))
        .hasMessage("timeout_ms must be an integer, but was fast");
  }

  @Test
  void aRebuiltPolicyKeepsEveryValue() {
    MerchantPolicy policy = MerchantPolicy.builder().timeoutMs(750).openStateWaitMs(1_234).build();

    assertThat(policy.toBuilder().build().toString()).isEqualTo(policy.toString());
  }
}
