package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.signature.Signatures;
import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A payment notice that is not authentic is refused, counted by provider and reason, and logged once. */
class ForgedNoticeTest {
  private static final String NOTIFY = "/v1/payments/sandbox/notify";
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
  void forgedNoticesAreCountedByReasonAndLoggedOnceEachWithoutTheirContent() {
    String marker = "pay_" + UUID.randomUUID().toString().replace("-", "");
    String body = new JsonObject().put("type", "payment.succeeded").put("payment_id", marker)
        .put("order_id", "ord_" + "a".repeat(24))
        .put("amount", new JsonObject().put("amount", 1000).put("currency", "CNY")).encode();
    Signatures forger = Signatures.builder().secret("a-secret-nobody-shares-0123456789").build();
    String forged = forger.sign(body.getBytes());
    String stale = forger.sign(body.getBytes(), System.currentTimeMillis() / 1000 - 3_600);

    List<String> lines;
    try (CapturedLogs logs = CapturedLogs.start()) {
      List<Response> answers = List.of(
          gw.post(NOTIFY, null, body, Signatures.HEADER, forged),
          gw.post(NOTIFY, null, body, Signatures.HEADER, forged),
          gw.post(NOTIFY, null, body),
          gw.post(NOTIFY, null, body, Signatures.HEADER, stale),
          gw.post(NOTIFY, null, body, Signatures.HEADER, "t=1,v1=zz"));
      for (Response answer : answers) {
        assertThat(answer.status()).as(answer.toString()).isEqualTo(401);
        assertThat(answer.problemCode()).isEqualTo("bad_signature");
      }
      lines = logs.messages().stream().filter(line -> line.contains("payment notice")).toList();
    }

    String metrics = gw.get("/metrics", gw.adminToken()).body();
    assertThat(metrics)
        .contains("keyhold_payment_notices_rejected_total{provider=\"sandbox\",reason=\"mismatch\"} 2.0")
        .contains("keyhold_payment_notices_rejected_total{provider=\"sandbox\",reason=\"missing\"} 1.0")
        .contains("keyhold_payment_notices_rejected_total{provider=\"sandbox\",reason=\"stale\"} 1.0")
        .contains("keyhold_payment_notices_rejected_total{provider=\"sandbox\",reason=\"malformed\"} 1.0");
    assertThat(lines).as("one line per forged notice").hasSize(5).allMatch(line -> line.startsWith("WARN ")
        && line.contains("sandbox") && !line.contains(marker) && !line.contains(forged) && !line.contains("v1="));
    assertThat(lines).filteredOn(line -> line.contains("mismatch")).hasSize(2);
  }
}
