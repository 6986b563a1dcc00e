package io.keyhold.adapters.resilience;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.keyhold.adapters.http.HttpMerchantAdapter;
import io.keyhold.adapters.reference.Faults;
import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.CallRejectedException;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Refusal;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.adapters.testing.LocalRules;
import io.keyhold.adapters.testing.MutableClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Time limits, retries, breaker and bulkhead of the {@code http} adapter, against the reference merchant over HTTP. */
class SlowShopTest {

  private static final String SECRET = "slow-shop-test-secret-0123";

  private Vertx vertx;
  private ReferenceMerchant shop;
  private final MeterRegistry meters = new SimpleMeterRegistry();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    shop = result(ReferenceMerchant.start(vertx, ReferenceMerchantOptions.builder()
        .sku("demo", 100).sku("empty", 0).secret(SECRET).holdMs(5_000).build()));
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  private HttpMerchantAdapter adapter(MerchantPolicy policy, Clock clock) {
    return HttpMerchantAdapter.create(AdapterContext.builder()
        .vertx(vertx)
        .clock(clock)
        .merchantId("shop-a")
        .config(new JsonObject().put("base_url", shop.baseUrl()))
        .outboundRules(LocalRules.LOOPBACK)
        .secrets(Secrets.of(Map.of("signing_secret", SECRET)))
        .meterRegistry(meters)
        .policy(policy)
        .build());
  }

  private HttpMerchantAdapter adapter(MerchantPolicy policy) {
    return adapter(policy, Clock.systemUTC());
  }

  private static OrderRef newOrder() {
    return OrderRef.of("ord-" + UUID.randomUUID(), "shop-a", "demo");
  }

  private static List<UnitIndex> unitZero() {
    return List.of(UnitIndex.of(0));
  }

  private static Faults faults(JsonObject json) {
    return Faults.fromJson(json);
  }

  private long requestsSeen() {
    return result(shop.stats()).getLong("requests");
  }

  @Test
  void aSlowShopTimesOutAsAnUnknownOutcomeInsteadOfHanging() {
    HttpMerchantAdapter adapter = adapter(MerchantPolicy.builder()
        .timeoutMs(300).retryMaxAttempts(2).retryInitialDelayMs(50).build());
    shop.faults(faults(new JsonObject().put("latency_ms", 3_000)));
    long start = System.nanoTime();

    Throwable failure = failure(adapter.provide(newOrder(), unitZero()));

    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
    assertThat(((OutcomeUnknownException) failure).reason()).isEqualTo(OutcomeUnknownException.Cause.TIMEOUT);
    // Two attempts of 300 ms and a 50 ms pause; the shop would have taken 3 s.
    assertThat(elapsedMs).isBetween(600L, 2_000L);
    assertThat(requestsSeen()).isEqualTo(2);
  }

  @Test
  void aShopThatNeverAnswersTimesOutToo() {
    HttpMerchantAdapter adapter = adapter(MerchantPolicy.builder().timeoutMs(200).retryMaxAttempts(1).build());
    shop.faults(faults(new JsonObject().put("timeout_rate", 1.0)));

    Throwable failure = failure(adapter.provide(newOrder(), unitZero()));

    assertThat(((OutcomeUnknownException) failure).reason()).isEqualTo(OutcomeUnknownException.Cause.TIMEOUT);
    shop.faults(Faults.none());
    assertThat(result(adapter.provide(newOrder(), unitZero()))).hasSize(1);
  }

  @Test
  void serverErrorsAreRetriedForIdempotentCallsUpToTheLimit() {
    HttpMerchantAdapter adapter = adapter(MerchantPolicy.builder().retryMaxAttempts(3).retryInitialDelayMs(10).build());
    shop.faults(faults(new JsonObject().put("error_rate", 1.0)));

    Throwable failure = failure(adapter.provide(newOrder(), unitZero()));

    assertThat(((OutcomeUnknownException) failure).reason()).isEqualTo(OutcomeUnknownException.Cause.SERVER_ERROR);
    assertThat(requestsSeen()).isEqualTo(3);
  }

  @Test
  void aRetryAfterAnUnknownOutcomeGetsTheSameKey() {
    HttpMerchantAdapter adapter = adapter(MerchantPolicy.builder().retryMaxAttempts(5).retryInitialDelayMs(10).build());
    OrderRef order = newOrder();
    var first = result(adapter.provide(order, unitZero()));
    shop.faults(faults(new JsonObject().put("error_rate", 0.5)));

    var again = result(adapter.provide(order, unitZero()));

    assertThat(again).isEqualTo(first);
  }

  @Test
  void refusalsAreNeitherRetriedNorCountedAgainstTheShop() {
    HttpMerchantAdapter adapter = adapter(MerchantPolicy.builder()
        .slidingWindowCalls(10).minimumCalls(5).retryMaxAttempts(3).build());

    for (int i = 0; i < 12; i++) {
      Throwable failure = failure(adapter.reserve("empty", 1, Instant.now().plusSeconds(60)));
      assertThat(((MerchantRefusedException) failure).refusal()).isEqualTo(Refusal.OUT_OF_STOCK);
    }

    assertThat(requestsSeen()).isEqualTo(12);
    assertThat(adapter.calls().circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void anOpenBreakerTurnsCallsAwayUntilItsWaitIsOverThenRecovers() {
    MutableClock clock = MutableClock.startingNow();
    HttpMerchantAdapter adapter = adapter(MerchantPolicy.builder()
        .timeoutMs(2_000).slidingWindowCalls(4).minimumCalls(4).failureRateThresholdPercent(50)
        .openStateWaitMs(30_000).halfOpenCalls(1).retryMaxAttempts(1).build(), clock);
    shop.faults(faults(new JsonObject().put("error_rate", 1.0)));
    for (int i = 0; i < 4; i++) {
      failure(adapter.provide(newOrder(), unitZero()));
    }
    assertThat(adapter.calls().circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
    shop.faults(Faults.none());

    Throwable turnedAway = failure(adapter.provide(newOrder(), unitZero()));
    assertThat(((CallRejectedException) turnedAway).reason()).isEqualTo(CallRejectedException.Reason.CIRCUIT_OPEN);
    assertThat(requestsSeen()).as("the open breaker sent nothing").isEqualTo(4);

    clock.advance(Duration.ofSeconds(31));
    assertThat(result(adapter.provide(newOrder(), unitZero()))).hasSize(1);
    assertThat(adapter.calls().circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void theBulkheadTurnsAwayCallsBeyondItsLimitAtOnce() {
    HttpMerchantAdapter adapter = adapter(MerchantPolicy.builder()
        .timeoutMs(1_000).maxConcurrentCalls(2).retryMaxAttempts(1).build());
    shop.faults(faults(new JsonObject().put("timeout_rate", 1.0)));
    Future<?> first = adapter.provide(newOrder(), unitZero());
    Future<?> second = adapter.provide(newOrder(), unitZero());
    long start = System.nanoTime();

    Throwable third = failure(adapter.provide(newOrder(), unitZero()));

    assertThat((System.nanoTime() - start) / 1_000_000).as("ms to turn the third call away").isLessThan(500);
    assertThat(((CallRejectedException) third).reason()).isEqualTo(CallRejectedException.Reason.BULKHEAD_FULL);
    assertThat(((OutcomeUnknownException) failure(first)).reason()).isEqualTo(OutcomeUnknownException.Cause.TIMEOUT);
    assertThat(((OutcomeUnknownException) failure(second)).reason()).isEqualTo(OutcomeUnknownException.Cause.TIMEOUT);
    assertThat(adapter.calls().availableConcurrentCalls()).isEqualTo(2);
  }

  @Test
  void breakerStateAndCallOutcomesArePublishedAsMetrics() {
    HttpMerchantAdapter adapter = adapter(MerchantPolicy.builder().retryMaxAttempts(1).build());
    result(adapter.provide(newOrder(), unitZero()));
    failure(adapter.reserve("empty", 1, Instant.now().plusSeconds(60)));

    assertThat(meters.get("resilience4j.circuitbreaker.state").tag("name", "shop-a/http-adapter").tag("state", "closed")
        .gauge().value()).isEqualTo(1.0);
    assertThat(meters.get("resilience4j.bulkhead.available.concurrent.calls").tag("name", "shop-a/http-adapter")
        .gauge().value()).isEqualTo(MerchantPolicy.DEFAULT_MAX_CONCURRENT_CALLS);
    assertThat(meters.get(ResilientCalls.CALLS_METRIC).tag("name", "shop-a/http-adapter").tag("operation", "provide")
        .tag("outcome", "success").timer().count()).isEqualTo(1);
    assertThat(meters.get(ResilientCalls.CALLS_METRIC).tag("operation", "reserve").tag("outcome", "refused")
        .timer().count()).isEqualTo(1);

    result(adapter.close());
    assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "shop-a/http-adapter").meters()).isEmpty();
    assertThat(meters.find(ResilientCalls.CALLS_METRIC).tag("name", "shop-a/http-adapter").meters()).isEmpty();
  }
}
