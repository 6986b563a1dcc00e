package io.keyhold.simulator.audit;

import static io.keyhold.simulator.audit.OrderJson.order;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.SimulatorMain;
import io.keyhold.simulator.client.Amount;
import io.keyhold.simulator.client.GatewayClient;
import io.keyhold.simulator.testing.FakeGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The audit against a fake gateway (a real HTTP server): the real gateway cannot be made to report a
 * broken ledger on purpose, so its answer is faked here; everything else is the real client and code.
 */
class LedgerAuditTest {
  private static final String TOKEN = "admin-token-for-tests";
  private static final JsonObject BROKEN = new JsonObject().put("ok", false)
      .put("invariants", new JsonArray()
          .add(new JsonObject().put("id", 1).put("name", "transactions sum to zero").put("ok", true)
              .put("violations", new JsonArray()))
          .add(new JsonObject().put("id", 7).put("name", "payments in = released + fees + refunds + held")
              .put("ok", false).put("violations", new JsonArray().add("ord_broken1").add("ord_broken2"))))
      .put("totals", new JsonObject());
  private static final JsonObject HEALTHY = new JsonObject().put("ok", true)
      .put("invariants", new JsonArray().add(new JsonObject().put("id", 7).put("name", "money").put("ok", true)
          .put("violations", new JsonArray())));

  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static FakeGateway auditAnswering(JsonObject answer) throws Exception {
    return FakeGateway.start(request -> {
      if (request.path().equals("/admin/v1/audit") && ("Bearer " + TOKEN).equals(request.getHeader("Authorization"))) {
        request.response().putHeader("Content-Type", "application/json").end(answer.encode());
      } else {
        request.response().setStatusCode(401).putHeader("Content-Type", "application/problem+json")
            .end(new JsonObject().put("code", "unauthenticated").put("status", 401).encode());
      }
    });
  }

  private AuditResult audit(FakeGateway fake, Books books) throws Exception {
    GatewayClient client = GatewayClient.create(vertx, fake.url(), TOKEN, 2, 5_000);
    return LedgerAudit.run(client, books, Duration.ofSeconds(10))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aBrokenInvariantInTheGatewaysAuditFailsTheRunNamingItsOrders() throws Exception {
    try (FakeGateway fake = auditAnswering(BROKEN)) {
      AuditResult result = audit(fake, new Books());

      assertThat(result.ok()).isFalse();
      assertThat(result.violations()).extracting(Violation::code).containsExactly("gateway_invariant_7");
      assertThat(result.violations().get(0).orderIds()).containsExactly("ord_broken1", "ord_broken2");
      assertThat(result.toJson().getBoolean("ok")).isFalse();
    }
  }

  @Test
  void aHealthyGatewayAndCleanBooksPass() throws Exception {
    try (FakeGateway fake = auditAnswering(HEALTHY)) {
      AuditResult result = audit(fake, new Books());

      assertThat(result.violations()).isEmpty();
      assertThat(result.ok()).isTrue();
    }
  }

  @Test
  void theBooksAreAuditedBesideAHealthyGateway() throws Exception {
    Books books = new Books();
    books.stock("sku_a", 5);
    Amount price = new Amount(500, "CNY");
    for (String orderId : new String[] {"ord_alice", "ord_bob"}) {
      books.opened(orderId, "buyer-" + orderId, "sku_a", 1, price);
      books.paid(orderId, "pay_" + orderId, price);
      books.revealed(orderId, order(orderId, "inspection").unit(0, "valid", "SAME-KEY-1234").view(),
          Instant.now());
      books.observed(order(orderId, "released").unit(0, "released", null).released(500).view(), Instant.now());
    }
    try (FakeGateway fake = auditAnswering(HEALTHY)) {
      AuditResult result = audit(fake, books);

      assertThat(result.ok()).isFalse();
      assertThat(result.violations()).extracting(Violation::code).containsExactly(ViolationCodes.KEY_TO_TWO_BUYERS);
      assertThat(result.violations().get(0).orderIds()).containsExactly("ord_alice", "ord_bob");
    }
  }

  @Test
  void aGatewayThatCannotAnswerItsAuditIsAViolationNotAPass() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> request.response().setStatusCode(404)
        .putHeader("Content-Type", "application/problem+json")
        .end(new JsonObject().put("code", "not_found").put("status", 404).encode()))) {
      AuditResult result = audit(fake, new Books());

      assertThat(result.violations()).extracting(Violation::code)
          .containsExactly(ViolationCodes.GATEWAY_AUDIT_UNAVAILABLE);
      assertThat(result.violations().get(0).detail()).contains("404");
    }
    try (FakeGateway fake = auditAnswering(new JsonObject().put("ok", "yes"))) {
      assertThat(audit(fake, new Books()).violations()).extracting(Violation::code)
          .containsExactly(ViolationCodes.GATEWAY_AUDIT_UNAVAILABLE);
    }
    try (FakeGateway fake = auditAnswering(new JsonObject().put("ok", false))) {
      assertThat(audit(fake, new Books()).violations()).extracting(Violation::code)
          .containsExactly(ViolationCodes.GATEWAY_AUDIT_NOT_OK);
    }
  }

  @Test
  void theAuditCommandExitsNonZeroAndPrintsTheBrokenInvariantAndItsOrders() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (FakeGateway fake = auditAnswering(BROKEN)) {
      int exit = SimulatorMain.commandLine(new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8))
          .execute("audit", "--gateway", fake.url(), "--admin-token", TOKEN);

      assertThat(exit).isEqualTo(1);
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("AUDIT FAILED").contains("gateway_invariant_7")
          .contains("ord_broken1").contains("ord_broken2");
    }
    try (FakeGateway fake = auditAnswering(HEALTHY)) {
      int exit = SimulatorMain.commandLine(new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8))
          .execute("audit", "--gateway", fake.url(), "--admin-token", TOKEN);

      assertThat(exit).isZero();
    }
  }
}
