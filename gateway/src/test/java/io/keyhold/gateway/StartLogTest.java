package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.TestGateway;
import org.junit.jupiter.api.Test;

/** What a start, a little traffic and a stop log: nothing that points at a mistake nobody made. */
class StartLogTest {
  @Test
  void aStartWithTrafficLogsNoGaugeRegisteredTwice() throws Exception {
    try (CapturedLogs logs = CapturedLogs.start()) {
      // Micrometer warns once per process and logs every later repeat at DEBUG, which is captured too: the
      // check holds whichever test of this JVM registered a gauge twice first.
      try (TestGateway gw = TestGateway.start()) {
        for (int i = 0; i < 3; i++) {
          assertThat(gw.get("/health", null).status()).isEqualTo(200);
          assertThat(gw.get("/health/ready", null).status()).isEqualTo(200);
        }
      }

      assertThat(logs.messages()).as("log lines").isNotEmpty()
          .noneMatch(line -> line.contains("has been already registered"));
    }
  }
}
