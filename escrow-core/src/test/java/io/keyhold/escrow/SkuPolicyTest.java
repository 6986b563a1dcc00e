package io.keyhold.escrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SkuPolicyTest {

  @Test
  void startsFromFailClosedDefaults() {
    SkuPolicy policy = SkuPolicy.defaults();

    assertThat(policy.payWithin()).isEqualTo(SkuPolicy.DEFAULT_PAY_WITHIN);
    assertThat(policy.maxResupplyAttempts()).isEqualTo(SkuPolicy.DEFAULT_MAX_RESUPPLY_ATTEMPTS);
    assertThat(policy.unknownVerdictPolicy()).isEqualTo(UnknownVerdictPolicy.RESUPPLY);
    assertThat(policy.latePaymentPolicy()).isEqualTo(LatePaymentPolicy.FULFIL_IF_STOCK);
    assertThat(policy.toBuilder().build()).isEqualTo(policy);
  }

  @Test
  void rejectsANegativeDurationWithTheValueInTheMessage() {
    assertThatThrownBy(() -> SkuPolicy.builder().deliverWithin(Duration.ofSeconds(-3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deliverWithin must be greater than 0, but was PT-3S");
  }

  @Test
  void rejectsAZeroDuration() {
    assertThatThrownBy(() -> SkuPolicy.builder().inspectionWindow(Duration.ZERO))
        .hasMessage("inspectionWindow must be greater than 0, but was PT0S");
  }

  @Test
  void rejectsADurationOutsideItsBounds() {
    assertThatThrownBy(() -> SkuPolicy.builder().maxHold(Duration.ofDays(400)))
        .hasMessage("maxHold must be between PT1H and PT2160H, but was PT9600H");
    assertThatThrownBy(() -> SkuPolicy.builder().payWithin(Duration.ofSeconds(59)))
        .hasMessage("payWithin must be between PT1M and PT24H, but was PT59S");
  }

  @Test
  void rejectsFractionsOfASecond() {
    assertThatThrownBy(() -> SkuPolicy.builder().payWithin(Duration.ofMillis(1500)))
        .hasMessage("payWithin must be whole seconds, but was PT1.5S");
  }

  @Test
  void rejectsResupplyAttemptsOutOfRange() {
    assertThatThrownBy(() -> SkuPolicy.builder().maxResupplyAttempts(-1))
        .hasMessage("maxResupplyAttempts must be between 0 and 10, but was -1");
    assertThatThrownBy(() -> SkuPolicy.builder().maxResupplyAttempts(11))
        .hasMessage("maxResupplyAttempts must be between 0 and 10, but was 11");
  }

  @Test
  void checksAgainWhenRestoredThroughTheConstructor() {
    assertThatThrownBy(() -> new SkuPolicy(Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofMinutes(1), 1,
        Duration.ofSeconds(-1), Duration.ofMinutes(1), Duration.ofMinutes(1), UnknownVerdictPolicy.RESUPPLY,
        LatePaymentPolicy.REFUND))
        .hasMessage("validateWithin must be greater than 0, but was PT-1S");
    assertThatThrownBy(() -> SkuPolicy.builder().resupplyWithin(null)).hasMessageContaining("resupplyWithin");
  }
}
