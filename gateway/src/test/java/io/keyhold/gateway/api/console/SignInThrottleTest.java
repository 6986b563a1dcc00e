package io.keyhold.gateway.api.console;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SignInThrottleTest {
  @Test
  void refusesAnAddressPastTheFailuresItMayMakeAndNoOtherAddress() {
    SignInThrottle throttle = new SignInThrottle();
    for (int i = 0; i < SignInThrottle.FAILURES_MAX; i++) {
      assertThat(throttle.refuses("198.51.100.7")).as("after %d failures", i).isFalse();
      throttle.failed("198.51.100.7");
    }
    assertThat(throttle.refuses("198.51.100.7")).isTrue();
    assertThat(throttle.refuses("198.51.100.8")).isFalse();
  }
}
