package io.keyhold.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.Profile;
import io.keyhold.simulator.SimulationConfig;
import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.client.FollowMode;
import io.keyhold.simulator.client.GatewayClient;
import io.keyhold.simulator.client.OrderFollower;
import io.keyhold.simulator.client.RetryPolicy;
import io.keyhold.simulator.env.Shop;
import io.keyhold.simulator.report.Outcome;
import io.keyhold.simulator.report.Phase;
import io.keyhold.simulator.report.PhaseStats;
import io.keyhold.simulator.report.RunMetrics;
import io.keyhold.simulator.testing.FakeGateway;
import io.keyhold.simulator.testing.OnContext;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a buyer's visit ends when the checkout is refused. The real gateway cannot be made to answer
 * these on purpose at a chosen moment, so a fake one (a real HTTP server) answers them.
 */
class VirtualBuyerTest {
  /** Short waits, so a checkout refused through every retry ends in well under a second. */
  private static final RetryPolicy QUICK = new RetryPolicy(5, 10, 40, 10_000);
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private Outcome visitAgainst(FakeGateway fake, RunMetrics[] metricsOut) throws Exception {
    return visitAgainst(fake, metricsOut, 0);
  }

  /** One buyer's visit against {@code fake}, staying {@code comeBackWithinSeconds} to look again when sold out. */
  private Outcome visitAgainst(FakeGateway fake, RunMetrics[] metricsOut, int comeBackWithinSeconds) throws Exception {
    SimulationConfig config = SimulationConfig.builder(Profile.FLASH_SALE).buyers(1).thinkMsMax(0)
        .comeBackWithinSeconds(comeBackWithinSeconds).build();
    GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 2, 5_000, QUICK);
    long start = System.currentTimeMillis();
    RunMetrics metrics = new RunMetrics(System::currentTimeMillis, start, 1, 60);
    metricsOut[0] = metrics;
    RunContext run = new RunContext(vertx, config, client, new OrderFollower(client, FollowMode.POLL,
        System::currentTimeMillis), new Books(), metrics, "test", start);
    Shop shop = new Shop(0, Shop.STOCK, "mer_1", "khk_1", "sku_1", 1, null);
    BuyerPlan plan = new BuyerPlan(0, 0, 0, 1, Behaviour.CONFIRM, PaymentMove.NORMAL, 0, Award.RELEASE);
    return OnContext.await(vertx, () -> new VirtualBuyer(run, plan, shop).visit(), 30);
  }

  private static FakeGateway answering(int status, String code) throws Exception {
    return FakeGateway.start(request -> request.response().setStatusCode(status)
        .putHeader("Retry-After", "0").putHeader("Content-Type", "application/problem+json")
        .end(new JsonObject().put("status", status).put("code", code).encode()));
  }

  @Test
  void aSoldOutCheckoutEndsTheVisitAsSoldOutWithItsLatencyMeasured() throws Exception {
    RunMetrics[] metrics = new RunMetrics[1];
    try (FakeGateway fake = answering(409, "out_of_stock")) {
      assertThat(visitAgainst(fake, metrics)).isEqualTo(Outcome.SOLD_OUT);
      assertThat(fake.requests()).hasSize(1);
    }
    assertThat(metrics[0].stats(Phase.CHECKOUT).count()).isEqualTo(1);
    assertThat(metrics[0].total(RunMetrics.Series.SOLD_OUT_WHILE_HELD)).as("the answer said nothing held").isZero();
  }

  @Test
  void aSoldOutWhileUnpaidCheckoutsHoldKeysIsCountedApart() throws Exception {
    RunMetrics[] metrics = new RunMetrics[1];
    try (FakeGateway fake = FakeGateway.start(request -> request.response().setStatusCode(409)
        .putHeader("Content-Type", "application/problem+json").end(new JsonObject().put("status", 409)
            .put("code", "out_of_stock").put("held_units", 3).put("held_until", "2026-12-05T16:00:00Z").encode()))) {
      assertThat(visitAgainst(fake, metrics)).isEqualTo(Outcome.SOLD_OUT);
    }
    assertThat(metrics[0].total(RunMetrics.Series.SOLD_OUT_WHILE_HELD)).isEqualTo(1);
  }

  /** Sold out with {@code held} keys held until {@code heldUntil}; 0 held: the sale is over. */
  private static void soldOut(HttpServerRequest request, int held, Instant heldUntil) {
    JsonObject problem = new JsonObject().put("status", 409).put("code", "out_of_stock").put("held_units", held);
    if (held > 0) {
      problem.put("held_until", heldUntil.toString());
    }
    request.response().setStatusCode(409).putHeader("Content-Type", "application/problem+json").end(problem.encode());
  }

  @Test
  void aPatientBuyerToldKeysAreHeldLooksAgainWithANewCheckoutAndLeavesOnceNoneAre() throws Exception {
    RunMetrics[] metrics = new RunMetrics[1];
    List<Long> askedAtMs = new CopyOnWriteArrayList<>();
    try (FakeGateway fake = FakeGateway.start(request -> {
      askedAtMs.add(System.currentTimeMillis());
      // First: one key held by a checkout whose pay deadline has just passed; then: the sale is over.
      soldOut(request, askedAtMs.size() == 1 ? 1 : 0, Instant.now().minusSeconds(1));
    })) {
      assertThat(visitAgainst(fake, metrics, 20)).isEqualTo(Outcome.SOLD_OUT);
      assertThat(fake.requests()).extracting(FakeGateway.Seen::idempotencyKey).doesNotHaveDuplicates().hasSize(2);
    }
    assertThat(askedAtMs.get(1) - askedAtMs.get(0)).as("a look again waits its turn")
        .isGreaterThanOrEqualTo(VirtualBuyer.COME_BACK_EVERY_MS);
    assertThat(metrics[0].total(RunMetrics.Series.CAME_BACK)).isEqualTo(1);
    assertThat(metrics[0].total(RunMetrics.Series.SOLD_OUT_WHILE_HELD)).as("counted once, on the first answer")
        .isEqualTo(1);
  }

  @Test
  void aBuyerLeavesWhenTheHeldKeysComeBackAfterItsPatience() throws Exception {
    RunMetrics[] metrics = new RunMetrics[1];
    try (FakeGateway fake = FakeGateway.start(request -> soldOut(request, 5, Instant.now().plusSeconds(60)))) {
      assertThat(visitAgainst(fake, metrics, 20)).isEqualTo(Outcome.SOLD_OUT);
      assertThat(fake.requests()).hasSize(1);
    }
    assertThat(metrics[0].total(RunMetrics.Series.CAME_BACK)).isZero();
  }

  @Test
  void aBuyerGivenAPlaceInLineHasItsWaitMeasuredApartFromItsCheckout() throws Exception {
    RunMetrics[] metrics = new RunMetrics[1];
    AtomicInteger calls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (calls.incrementAndGet() == 1) {
        request.response().setStatusCode(503).putHeader("Retry-After", "1").putHeader("Keyhold-Ticket", "tkt-1")
            .putHeader("Content-Type", "application/problem+json")
            .end(new JsonObject().put("status", 503).put("code", "overloaded").put("place", 1).put("ticket", "tkt-1")
                .encode());
        return;
      }
      request.response().setStatusCode(409).putHeader("Content-Type", "application/problem+json")
          .end(new JsonObject().put("status", 409).put("code", "out_of_stock").encode());
    })) {
      assertThat(visitAgainst(fake, metrics)).isEqualTo(Outcome.SOLD_OUT);
      assertThat(fake.requests()).extracting(FakeGateway.Seen::ticket).containsExactly(null, "tkt-1");
    }
    PhaseStats waited = metrics[0].stats(Phase.WAITING_ROOM);
    PhaseStats checkout = metrics[0].stats(Phase.CHECKOUT);
    assertThat(waited.count()).isEqualTo(1);
    assertThat(waited.maxMs()).isBetween(1_000.0, 1_200.0 + 1_000);
    // The checkout's latency is its served attempt's, not the wait in line.
    assertThat(checkout.count()).isEqualTo(1);
    assertThat(checkout.maxMs()).isLessThan(1_000.0);
  }

  @Test
  void aBuyerNeverGivenAPlaceHasNoWaitInLine() throws Exception {
    RunMetrics[] metrics = new RunMetrics[1];
    try (FakeGateway fake = answering(409, "out_of_stock")) {
      assertThat(visitAgainst(fake, metrics)).isEqualTo(Outcome.SOLD_OUT);
    }
    assertThat(metrics[0].stats(Phase.WAITING_ROOM).count()).isZero();
  }

  @Test
  void aShopThatCannotBeReachedIsNotCountedAsAnOverloadedGateway() throws Exception {
    try (FakeGateway fake = answering(503, "merchant_unavailable")) {
      assertThat(visitAgainst(fake, new RunMetrics[1])).isEqualTo(Outcome.SHOP_UNAVAILABLE);
    }
  }

  @Test
  void aGatewayOverloadedThroughEveryRetryEndsTheVisitOverloaded() throws Exception {
    try (FakeGateway fake = answering(503, "overloaded")) {
      assertThat(visitAgainst(fake, new RunMetrics[1])).isEqualTo(Outcome.OVERLOADED);
      assertThat(fake.requests()).hasSize(QUICK.attemptsMax())
          .extracting(FakeGateway.Seen::idempotencyKey).containsOnly("test-checkout-0");
    }
  }

  @Test
  void anotherRefusalIsARejectedCheckout() throws Exception {
    try (FakeGateway fake = answering(400, "validation_failed")) {
      assertThat(visitAgainst(fake, new RunMetrics[1])).isEqualTo(Outcome.REJECTED);
    }
  }
}
