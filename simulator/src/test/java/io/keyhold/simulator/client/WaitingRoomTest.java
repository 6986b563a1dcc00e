package io.keyhold.simulator.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.simulator.testing.FakeGateway;
import io.keyhold.simulator.testing.OnContext;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A checkout told by the gateway's waiting room to come back (503, {@code Keyhold-Ticket}, {@code Retry-After}),
 * against a real HTTP server that answers as the gateway does.
 */
class WaitingRoomTest {
  /** Two sends at most for a failing call, with short waits; places in line keep the standard two minutes. */
  private static final RetryPolicy TWO_SENDS = new RetryPolicy(2, 10, 40, 10_000);
  /** How long a test call may take before it is a hang. */
  private static final long CALL_SECONDS_MAX = 30;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private CheckoutSession checkout(GatewayClient client, CallTiming timing) throws Exception {
    return OnContext.await(vertx, () -> client.merchant().createCheckout("khk_merchant", "sku_1", 1, "buyer-1",
        "idem-wait", timing), CALL_SECONDS_MAX);
  }

  /** The waiting room's answer: come back in {@code retryAfterSeconds}, at {@code place} with {@code ticket}. */
  private static void comeBack(HttpServerRequest request, String ticket, int place, int retryAfterSeconds) {
    request.response().setStatusCode(503).putHeader("Retry-After", String.valueOf(retryAfterSeconds))
        .putHeader("Keyhold-Ticket", ticket).putHeader("Content-Type", "application/problem+json")
        .end(new JsonObject().put("status", 503).put("code", "overloaded").put("place", place).put("ticket", ticket)
            .encode());
  }

  private static void created(HttpServerRequest request) {
    request.response().setStatusCode(201).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("id", "cs_1").put("order_id", "ord_1").put("order_url", "http://x/o?t=t").encode());
  }

  @Test
  void sendsTheTicketBackUntilItsTurnComes() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      switch (calls.incrementAndGet()) {
        case 1 -> comeBack(request, "tkt-1", 40, 1);
        // The line moved: a new ticket, which is the one to send back from now on.
        case 2 -> comeBack(request, "tkt-2", 3, 1);
        default -> created(request);
      }
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, TWO_SENDS);
      CallTiming timing = new CallTiming();

      assertThat(checkout(client, timing).id()).isEqualTo("cs_1");

      assertThat(fake.requests()).hasSize(3).extracting(FakeGateway.Seen::ticket)
          .containsExactly(null, "tkt-1", "tkt-2");
      assertThat(fake.requests()).extracting(FakeGateway.Seen::idempotencyKey).containsOnly("idem-wait");
      assertThat(client.retryCounts()).containsExactlyEntriesOf(Map.of("waiting_room", 2L));
      assertThat(timing.placeGiven()).isTrue();
      assertThat(timing.sends()).isEqualTo(3);
      // Two waits of Retry-After (1 s) plus at most a fifth of jitter each, and the answers' own time.
      assertThat(timing.waitingRoomMicros() / 1_000).isBetween(2_000L, 2_400L + 1_000);
      assertThat(timing.servedMicros() / 1_000).isLessThan(1_000L);
    }
  }

  @Test
  void aPlaceInLineIsNotCutByTheAttemptsMax() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      int call = calls.incrementAndGet();
      if (call <= 3) {
        comeBack(request, "tkt-1", 4 - call, 1);
        return;
      }
      created(request);
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, TWO_SENDS);

      assertThat(checkout(client, new CallTiming()).id()).isEqualTo("cs_1");

      // Four sends under a policy of two: only failing sends count against it.
      assertThat(fake.requests()).hasSize(4);
      assertThat(client.retryCounts()).containsExactlyEntriesOf(Map.of("waiting_room", 3L));
    }
  }

  @Test
  void aFailureWhileHoldingAPlaceIsRetriedAsAFailureWithTheTicketKept() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      switch (calls.incrementAndGet()) {
        case 1 -> comeBack(request, "tkt-1", 2, 1);
        case 2 -> request.response().setStatusCode(500).putHeader("Content-Type", "application/problem+json")
            .end(new JsonObject().put("status", 500).put("code", "internal_error").encode());
        default -> created(request);
      }
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, TWO_SENDS);
      CallTiming timing = new CallTiming();

      assertThat(checkout(client, timing).id()).isEqualTo("cs_1");

      assertThat(fake.requests()).extracting(FakeGateway.Seen::ticket).containsExactly(null, "tkt-1", "tkt-1");
      assertThat(client.retryCounts()).containsExactlyInAnyOrderEntriesOf(Map.of("waiting_room", 1L,
          "status_500", 1L));
      assertThat(timing.placeGiven()).isTrue();
      assertThat(timing.waitingRoomMicros() / 1_000).isGreaterThanOrEqualTo(1_000L);
    }
  }

  @Test
  void aPlainOverloadWithoutTicketIsStillBoundedByTheAttemptsMax() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> request.response().setStatusCode(503)
        .putHeader("Retry-After", "0").putHeader("Content-Type", "application/problem+json")
        .end(new JsonObject().put("status", 503).put("code", "overloaded").encode()))) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, TWO_SENDS);
      CallTiming timing = new CallTiming();

      assertThatThrownBy(() -> checkout(client, timing)).isInstanceOfSatisfying(ApiProblem.class, problem -> {
        assertThat(problem.status()).isEqualTo(503);
        assertThat(problem.ticket()).isNull();
      });

      assertThat(fake.requests()).hasSize(TWO_SENDS.attemptsMax()).extracting(FakeGateway.Seen::ticket)
          .containsOnlyNulls();
      assertThat(client.retryCounts()).containsExactlyEntriesOf(Map.of("status_503", 1L));
      assertThat(timing.placeGiven()).isFalse();
      assertThat(timing.waitingRoomMicros()).isEqualTo(-1);
    }
  }

  @Test
  void aPlaceWhoseTurnComesAfterTheRunsStopEndsTheCallAtTheStop() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> comeBack(request, "tkt-late", 900, 10))) {
      long startNs = System.nanoTime();
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, TWO_SENDS)
          .sendingBefore(System.currentTimeMillis() + 500);

      assertThatThrownBy(() -> checkout(client, null)).isInstanceOfSatisfying(ApiProblem.class,
          problem -> assertThat(problem.ticket()).isEqualTo("tkt-late"));

      long tookMs = (System.nanoTime() - startNs) / 1_000_000;
      assertThat(tookMs).as("ended at the stop, not 10 s later").isBetween(400L, 5_000L);
      assertThat(fake.requests()).hasSize(1);
      assertThat(client.callsInFlight()).isZero();
    }
  }

  @Test
  void theWaitInLineIsBoundedByThePlaceWaitMax() throws Exception {
    // The first wait (1 to 1.2 s) starts within the bound; a second would end past 2 s, beyond it.
    RetryPolicy shortLine = new RetryPolicy(2, 10, 40, 10_000, 1_500);
    try (FakeGateway fake = FakeGateway.start(request -> comeBack(request, "tkt-1", 7, 1))) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, shortLine);
      CallTiming timing = new CallTiming();

      assertThatThrownBy(() -> checkout(client, timing)).isInstanceOfSatisfying(ApiProblem.class, problem -> {
        assertThat(problem.status()).isEqualTo(503);
        assertThat(problem.code()).isEqualTo("overloaded");
        assertThat(problem.ticket()).isEqualTo("tkt-1");
      });

      assertThat(fake.requests()).hasSize(2).extracting(FakeGateway.Seen::ticket).containsExactly(null, "tkt-1");
      assertThat(client.retryCounts()).containsExactlyEntriesOf(Map.of("waiting_room", 1L));
      assertThat(timing.waitingRoomMicros() / 1_000).isBetween(1_000L, shortLine.placeWaitMsMax());
    }
  }

  @Test
  void theStandardPolicyWaitsInLineForTwoMinutesAtMost() {
    assertThat(RetryPolicy.STANDARD.placeWaitMsMax()).isEqualTo(RetryPolicy.PLACE_WAIT_MS_MAX).isEqualTo(120_000);
    assertThat(new RetryPolicy(2, 10, 40, 10_000).placeWaitMsMax()).isEqualTo(RetryPolicy.PLACE_WAIT_MS_MAX);
  }

  @Test
  void aTicketOutsideTheGatewaysPromiseIsNotSentBack() {
    assertThat(GatewayTransport.ticket(MultiMap.caseInsensitiveMultiMap().add("keyhold-ticket", "q1.7f3a-9")))
        .isEqualTo("q1.7f3a-9");
    assertThat(GatewayTransport.ticket(MultiMap.caseInsensitiveMultiMap()
        .add("Keyhold-Ticket", "a".repeat(GatewayTransport.TICKET_CHARS_MAX)))).hasSize(128);
    assertThat(GatewayTransport.ticket(MultiMap.caseInsensitiveMultiMap()
        .add("Keyhold-Ticket", "a".repeat(GatewayTransport.TICKET_CHARS_MAX + 1)))).isNull();
    assertThat(GatewayTransport.ticket(MultiMap.caseInsensitiveMultiMap().add("Keyhold-Ticket", "t\u00e9"))).isNull();
    assertThat(GatewayTransport.ticket(MultiMap.caseInsensitiveMultiMap().add("Keyhold-Ticket", "t\t1"))).isNull();
    assertThat(GatewayTransport.ticket(MultiMap.caseInsensitiveMultiMap().add("Keyhold-Ticket", ""))).isNull();
    assertThat(GatewayTransport.ticket(MultiMap.caseInsensitiveMultiMap())).isNull();
  }
}
