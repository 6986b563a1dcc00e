package io.keyhold.simulator.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.simulator.testing.FakeGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client against a real HTTP server that answers as the gateway's /openapi.yaml says. */
class GatewayClientTest {
  /** The standard policy's shape with short waits, so a test that exhausts it ends in well under a second. */
  private static final RetryPolicy QUICK = new RetryPolicy(4, 10, 40, 10_000);

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static <T> T await(io.vertx.core.Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void anOverloadedCheckoutIsAskedAgainWithTheSameIdempotencyKeyAfterRetryAfter() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (calls.incrementAndGet() == 1) {
        request.response().setStatusCode(503).putHeader("Retry-After", "0")
            .putHeader("Content-Type", "application/problem+json")
            .end(new JsonObject().put("status", 503).put("code", "overloaded").encode());
        return;
      }
      request.response().setStatusCode(201).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("id", "cs_1").put("order_id", "ord_1")
              .put("url", "http://x/checkout/cs_1").put("order_url", "http://x/orders/ord_1?t=tok%2Fen").encode());
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000);

      CheckoutSession session =
          await(client.merchant().createCheckout("khk_merchant", "sku_1", 2, "buyer-1", "idem-1"));

      assertThat(session.id()).isEqualTo("cs_1");
      assertThat(session.orderId()).isEqualTo("ord_1");
      assertThat(session.orderToken()).isEqualTo("tok/en");
      assertThat(session.toString()).doesNotContain("tok/en");
      assertThat(fake.requests()).hasSize(2).allSatisfy(seen -> {
        assertThat(seen.idempotencyKey()).isEqualTo("idem-1");
        assertThat(seen.authorization()).isEqualTo("Bearer khk_merchant");
        assertThat(seen.uri()).isEqualTo("/v1/checkout-sessions");
      });
      assertThat(client.answerCounts()).containsEntry("createCheckout 503", 1L).containsEntry("createCheckout 201", 1L);
    }
  }

  @Test
  void waitsAsLongAsRetryAfterAsksBeyondTheBackoffCap() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    long[] sentAt = new long[2];
    try (FakeGateway fake = FakeGateway.start(request -> {
      int call = calls.incrementAndGet();
      sentAt[Math.min(call, 2) - 1] = System.nanoTime();
      if (call == 1) {
        // Longer than the backoff's own cap: the gateway's word wins.
        request.response().setStatusCode(503).putHeader("Retry-After", "5")
            .putHeader("Content-Type", "application/problem+json")
            .end(new JsonObject().put("status", 503).put("code", "overloaded").encode());
        return;
      }
      request.response().setStatusCode(201).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("id", "cs_1").put("order_id", "ord_1")
              .put("url", "http://x/checkout/cs_1").put("order_url", "http://x/orders/ord_1?t=t").encode());
    })) {
      RetryPolicy capped = new RetryPolicy(RetryPolicy.ATTEMPTS_MAX, 50, 1_000, RetryPolicy.RETRYING_MS_MAX);
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, capped);

      await(client.merchant().createCheckout("khk_merchant", "sku_1", 1, "buyer-1", "idem-2"));

      long waitedMs = (sentAt[1] - sentAt[0]) / 1_000_000;
      assertThat(capped.backoffMsMax() * 2).as("the longest backoff with jitter").isLessThan(5_000);
      assertThat(waitedMs).isBetween(5_000L, 5_000L + 5_000 / 5 + 1_000);
    }
  }

  @Test
  void soldOutIsAProblemWithItsStableCodeAndIsNotRetried() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> request.response().setStatusCode(409)
        .putHeader("Content-Type", "application/problem+json")
        .end(new JsonObject().put("status", 409).put("code", "out_of_stock").put("detail", "no key left").encode()))) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000);

      assertThatThrownBy(() -> await(client.merchant().createCheckout("khk", "sku_1", 1, "b", "idem")))
          .isInstanceOfSatisfying(ApiProblem.class, problem -> {
            assertThat(problem.outOfStock()).isTrue();
            assertThat(problem.status()).isEqualTo(409);
            assertThat(problem.retryable()).isFalse();
          });
      assertThat(fake.requests()).hasSize(1);
    }
  }

  @Test
  void aCheckoutAnswerWithoutTokenInItsLinkAsksTheSessionForIt() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (request.method().name().equals("POST")) {
        request.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("id", "cs_2").put("order_id", "ord_2").encode());
      } else {
        request.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("id", "cs_2").put("order_id", "ord_2").put("order_token", "t2").encode());
      }
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000);

      CheckoutSession session = await(client.merchant().createCheckout("khk", "sku_1", 1, "b", "idem"));

      assertThat(session.orderToken()).isEqualTo("t2");
      assertThat(fake.requests()).extracting(FakeGateway.Seen::uri).containsExactly("/v1/checkout-sessions",
          "/v1/checkout-sessions/cs_2");
    }
  }

  @Test
  void aGatewayThatIsNotThereGivesNoAnswerAfterTheRetries() throws Exception {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    GatewayClient client = GatewayClient.create(vertx, "http://127.0.0.1:" + port, "admin", 4, 2_000, QUICK);

    assertThatThrownBy(() -> await(client.operator().audit(60))).isInstanceOfSatisfying(ApiProblem.class,
        problem -> assertThat(problem.code()).isEqualTo(ApiProblem.NO_ANSWER));
    assertThat(client.answerCounts()).containsEntry("audit 0", (long) QUICK.attemptsMax());
    assertThat(client.retryCounts()).containsExactlyEntriesOf(Map.of("connection_refused",
        (long) QUICK.attemptsMax() - 1));
  }

  @Test
  void noRetryStartsLaterThanThePolicysTotalTimeAfterTheFirstSend() throws Exception {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    // Backoff 200-400 ms per retry; a total of 300 ms leaves room for one retry at most.
    RetryPolicy shortTotal = new RetryPolicy(RetryPolicy.ATTEMPTS_MAX, 200, 200, 300);
    GatewayClient client = GatewayClient.create(vertx, "http://127.0.0.1:" + port, "admin", 4, 2_000, shortTotal);

    assertThatThrownBy(() -> await(client.operator().audit(60))).isInstanceOf(ApiProblem.class);
    assertThat(client.answerCounts().get("audit 0")).isBetween(1L, 2L);
  }

  @Test
  void retriesAReadAfterA500() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (calls.incrementAndGet() <= 2) {
        problem(request, 500, "internal_error");
        return;
      }
      request.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("ok", true).encode());
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, QUICK);

      assertThat(await(client.operator().audit(60)).getBoolean("ok")).isTrue();

      assertThat(fake.requests()).hasSize(3);
      assertThat(client.retryCounts()).containsExactlyEntriesOf(Map.of("status_500", 2L));
    }
  }

  @Test
  void retriesAPostWithItsIdempotencyKeyAfter500WithTheSameKey() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (calls.incrementAndGet() == 1) {
        problem(request, 500, "internal_error");
        return;
      }
      request.response().setStatusCode(201).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("id", "cs_1").put("order_id", "ord_1").put("order_url", "http://x/o?t=t").encode());
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, QUICK);

      await(client.merchant().createCheckout("khk", "sku_1", 1, "b", "idem-500"));

      assertThat(fake.requests()).hasSize(2).extracting(FakeGateway.Seen::idempotencyKey).containsOnly("idem-500");
    }
  }

  @Test
  void neverRetriesAPostWithoutIdempotencyKeyAfter500() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> problem(request, 500, "internal_error"))) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, QUICK);

      assertThatThrownBy(() -> await(client.transport().send("createThing", HttpMethod.POST, "/v1/things", "khk",
          new JsonObject(), null))).isInstanceOfSatisfying(ApiProblem.class,
          problem -> assertThat(problem.status()).isEqualTo(500));

      assertThat(fake.requests()).hasSize(1).extracting(FakeGateway.Seen::idempotencyKey).containsOnlyNulls();
      assertThat(client.retryCounts()).isEmpty();
    }
  }

  @Test
  void neverRetriesAPostWithoutIdempotencyKeyAfter503() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> {
      request.response().putHeader("Retry-After", "0");
      problem(request, 503, "overloaded");
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, QUICK);

      assertThatThrownBy(() -> await(client.transport().send("createThing", HttpMethod.POST, "/v1/things", "khk",
          new JsonObject(), null))).isInstanceOf(ApiProblem.class);

      assertThat(fake.requests()).hasSize(1);
    }
  }

  @Test
  void retriesAConnectionResetWithTheSameIdempotencyKey() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (calls.incrementAndGet() == 1) {
        // A gateway killed mid-call: the connection goes, no answer.
        request.connection().close();
        return;
      }
      request.response().setStatusCode(201).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("id", "cs_1").put("order_id", "ord_1").put("order_url", "http://x/o?t=t").encode());
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, QUICK);

      await(client.merchant().createCheckout("khk", "sku_1", 1, "b", "idem-reset"));

      assertThat(fake.requests()).hasSize(2).extracting(FakeGateway.Seen::idempotencyKey).containsOnly("idem-reset");
      assertThat(client.retryCounts()).containsExactlyEntriesOf(Map.of("connection_reset", 1L));
    }
  }

  @Test
  void countsEachRetryUnderItsReason() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      switch (calls.incrementAndGet()) {
        case 1 -> {
          request.response().putHeader("Retry-After", "0");
          problem(request, 503, "overloaded");
        }
        case 2 -> problem(request, 500, "internal_error");
        case 3 -> problem(request, 409, "idempotency_request_in_progress");
        default -> request.response().putHeader("Content-Type", "application/json").end("{}");
      }
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000, QUICK);

      await(client.operator().decideDispute("dsp_1", "release"));

      assertThat(client.retryCounts()).containsExactlyInAnyOrderEntriesOf(Map.of("status_503", 1L,
          "status_500", 1L, "idempotency_request_in_progress", 1L));
    }
  }

  private static void problem(HttpServerRequest request, int status, String code) {
    request.response().setStatusCode(status).putHeader("Content-Type", "application/problem+json")
        .end(new JsonObject().put("status", status).put("code", code).encode());
  }

  @Test
  void buyersCallsAndShopsCallsUseTheirOwnPools() {
    assertThat(GatewayTransport.buyerSide("/v1/sandbox/payments")).isTrue();
    assertThat(GatewayTransport.buyerSide("/v1/buyer/orders/ord_1")).isTrue();
    assertThat(GatewayTransport.buyerSide("/v1/checkout-sessions/cs_1")).isTrue();
    assertThat(GatewayTransport.buyerSide("/v1/payments/start")).isTrue();
    assertThat(GatewayTransport.buyerSide("/v1/checkout-sessions")).isFalse();
    assertThat(GatewayTransport.buyerSide("/admin/v1/audit")).isFalse();
  }

  @Test
  void afterTheRunStopsABuyersCallIsNeitherSentNorRetried() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> request.response().setStatusCode(503)
        .putHeader("Retry-After", "0").putHeader("Content-Type", "application/problem+json")
        .end(new JsonObject().put("status", 503).put("code", "overloaded").encode()))) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 4, 5_000);
      GatewayClient stopped = client.sendingBefore(System.currentTimeMillis() - 1);
      GatewayClient stopsSoon = client.sendingBefore(System.currentTimeMillis() + 30);

      assertThatThrownBy(() -> await(stopped.buyer().order("ord_1", "t"))).isInstanceOfSatisfying(ApiProblem.class,
          problem -> assertThat(problem.code()).isEqualTo(ApiProblem.NOT_SENT));
      assertThat(fake.requests()).isEmpty();
      assertThatThrownBy(() -> await(stopsSoon.buyer().order("ord_1", "t"))).isInstanceOf(ApiProblem.class);
      // Sent once or twice before the stop, then never again, although 503 is worth retrying.
      assertThat(fake.requests().size()).isBetween(1, 2);
      assertThat(client.callsInFlight()).isZero();
    }
  }

  @Test
  void aBaseUrlMustBeHttpWithAHost() {
    assertThatThrownBy(() -> GatewayClient.normalizeBaseUrl("ftp://x")).hasMessageContaining("'ftp://x'");
    assertThatThrownBy(() -> GatewayClient.normalizeBaseUrl("http://x/?a=b")).hasMessageContaining("no query");
    assertThat(GatewayClient.normalizeBaseUrl("http://127.0.0.1:8080/")).isEqualTo("http://127.0.0.1:8080");
  }
}
