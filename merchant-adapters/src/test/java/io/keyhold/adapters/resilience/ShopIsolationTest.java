package io.keyhold.adapters.resilience;

import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.keyhold.adapters.http.HttpMerchantAdapter;
import io.keyhold.adapters.reference.Faults;
import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.CallRejectedException;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.adapters.testing.LocalRules;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One dead shop must not slow another behind the same Vert.x instance. A behaviour check, not a
 * benchmark: the bounds are generous for a loaded 2-core build machine.
 */
class ShopIsolationTest {

  private static final String SECRET = "isolation-test-secret-0123";
  /** The dead shop's calls give up after this long. */
  private static final int TIMEOUT_MS = 1_000;
  /** The healthy shop answers in a few milliseconds; its p99 must stay well under the dead shop's timeout. */
  private static final long HEALTHY_P99_BOUND_MS = 200;
  /** A dead-shop call ends by two timed-out attempts and the pause between them, plus scheduling slack. */
  private static final long DEAD_CALL_BOUND_MS = 2 * TIMEOUT_MS + 50 + 700;
  private static final long LOAD_DURATION_MS = 2_500;
  private static final int HEALTHY_WORKERS = 4;
  private static final int DEAD_WORKERS = 6;
  private static final long PAUSE_BETWEEN_CALLS_MS = 5;

  private static final MerchantPolicy POLICY = MerchantPolicy.builder()
      .timeoutMs(TIMEOUT_MS)
      .maxConcurrentCalls(8)
      .slidingWindowCalls(10)
      .minimumCalls(5)
      .failureRateThresholdPercent(50)
      .openStateWaitMs(60_000)
      .retryMaxAttempts(2)
      .retryInitialDelayMs(50)
      .build();

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  private HttpMerchantAdapter adapter(String merchantId, ReferenceMerchant shop) {
    return HttpMerchantAdapter.create(AdapterContext.builder()
        .vertx(vertx)
        .merchantId(merchantId)
        .config(new JsonObject().put("base_url", shop.baseUrl()))
        .outboundRules(LocalRules.LOOPBACK)
        .secrets(Secrets.of(Map.of("signing_secret", SECRET)))
        .meterRegistry(new SimpleMeterRegistry())
        .policy(POLICY)
        .build());
  }

  @Test
  void aDeadShopOpensItsBreakerWhileAHealthyShopKeepsItsLatency() {
    ReferenceMerchant healthyShop = result(ReferenceMerchant.start(vertx,
        ReferenceMerchantOptions.builder().sku("demo", 5_000).secret(SECRET).build()));
    ReferenceMerchant deadShop = result(ReferenceMerchant.start(vertx, ReferenceMerchantOptions.builder()
        .sku("demo", 100).secret(SECRET).holdMs(4_000)
        .faults(Faults.fromJson(new JsonObject().put("timeout_rate", 1.0)))
        .build()));
    HttpMerchantAdapter healthy = adapter("healthy-shop", healthyShop);
    HttpMerchantAdapter dead = adapter("dead-shop", deadShop);

    // Warm up (JIT, connections) so the measurement compares steady states, then measure the healthy
    // shop alone as the baseline, then beside the dead shop.
    Histogram warmUp = new ConcurrentHistogram(60_000_000L, 3);
    runHealthyLoad(healthy, 1_000, warmUp);
    Histogram baselineMicros = new ConcurrentHistogram(60_000_000L, 3);
    runHealthyLoad(healthy, 1_000, baselineMicros);

    Histogram healthyLatencyMicros = new ConcurrentHistogram(60_000_000L, 3);
    Histogram deadLatencyMicros = new ConcurrentHistogram(60_000_000L, 3);
    Map<String, AtomicInteger> deadOutcomes = new ConcurrentHashMap<>();
    AtomicInteger healthyFailures = new AtomicInteger();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOAD_DURATION_MS);

    List<Future<Void>> workers = new ArrayList<>();
    for (int i = 0; i < DEAD_WORKERS; i++) {
      workers.add(loop(deadline, deadLatencyMicros, () -> dead.provide(order("dead-shop"), List.of(UnitIndex.of(0)))
          .andThen(outcome -> deadOutcomes.computeIfAbsent(outcomeName(outcome.cause()), k -> new AtomicInteger())
              .incrementAndGet())));
    }
    for (int i = 0; i < HEALTHY_WORKERS; i++) {
      workers.add(loop(deadline, healthyLatencyMicros,
          () -> healthy.provide(order("healthy-shop"), List.of(UnitIndex.of(0)))
              .onFailure(failure -> healthyFailures.incrementAndGet())));
    }
    Future.all(workers).toCompletionStage().toCompletableFuture().join();

    long healthyP99Ms = healthyLatencyMicros.getValueAtPercentile(99) / 1_000;
    long deadP99Ms = deadLatencyMicros.getValueAtPercentile(99) / 1_000;
    System.out.printf("healthy shop alone: %d calls, p50 %d ms, p99 %d ms%n", baselineMicros.getTotalCount(),
        baselineMicros.getValueAtPercentile(50) / 1_000, baselineMicros.getValueAtPercentile(99) / 1_000);
    System.out.printf("healthy shop beside the dead one: %d calls, p50 %d ms, p99 %d ms, max %d ms%n", healthyLatencyMicros.getTotalCount(),
        healthyLatencyMicros.getValueAtPercentile(50) / 1_000, healthyP99Ms, healthyLatencyMicros.getMaxValue() / 1_000);
    System.out.printf("dead shop: %d calls, p99 %d ms, max %d ms, outcomes %s%n", deadLatencyMicros.getTotalCount(),
        deadP99Ms, deadLatencyMicros.getMaxValue() / 1_000, deadOutcomes);

    assertThat(healthyFailures.get()).as("healthy shop failures").isZero();
    assertThat(healthyLatencyMicros.getTotalCount()).as("healthy calls made").isGreaterThan(100);
    assertThat(healthyP99Ms).as("healthy shop p99 in ms").isLessThan(HEALTHY_P99_BOUND_MS);
    assertThat(healthy.calls().circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);

    assertThat(dead.calls().circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
    // The first calls time out (and their retries are turned away, but stay unknown: the first attempt
    // may have acted); once the breaker is open, calls are turned away at once.
    assertThat(deadOutcomes.keySet()).as("dead shop outcomes").containsOnly("timeout", "circuit_open");
    assertThat(deadOutcomes.get("timeout").get()).as("calls that timed out").isBetween(1, DEAD_WORKERS);
    assertThat(deadOutcomes.get("circuit_open").get()).as("calls the open breaker turned away").isPositive();
    assertThat(deadLatencyMicros.getMaxValue() / 1_000).as("slowest dead-shop call in ms").isLessThan(DEAD_CALL_BOUND_MS);
  }

  private void runHealthyLoad(HttpMerchantAdapter healthy, long durationMs, Histogram latencyMicros) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMs);
    List<Future<Void>> workers = new ArrayList<>();
    for (int i = 0; i < HEALTHY_WORKERS; i++) {
      workers.add(loop(deadline, latencyMicros, () -> healthy.provide(order("healthy-shop"), List.of(UnitIndex.of(0)))));
    }
    Future.all(workers).toCompletionStage().toCompletableFuture().join();
  }

  private static OrderRef order(String merchantId) {
    return OrderRef.of("ord-" + UUID.randomUUID(), merchantId, "demo");
  }

  private static String outcomeName(Throwable failure) {
    if (failure instanceof OutcomeUnknownException unknown) {
      return unknown.code();
    }
    if (failure instanceof CallRejectedException rejected) {
      return rejected.code();
    }
    return failure == null ? "success" : failure.getClass().getSimpleName();
  }

  /** Calls {@code call} one after another, with a short pause, until the deadline; records each latency. */
  private Future<Void> loop(long deadline, Histogram latencyMicros, Supplier<Future<?>> call) {
    Promise<Void> done = Promise.promise();
    next(deadline, latencyMicros, call, done);
    return done.future();
  }

  private void next(long deadline, Histogram latencyMicros, Supplier<Future<?>> call, Promise<Void> done) {
    if (System.nanoTime() >= deadline) {
      done.complete();
      return;
    }
    long start = System.nanoTime();
    call.get().onComplete(outcome -> {
      latencyMicros.recordValue((System.nanoTime() - start) / 1_000);
      vertx.setTimer(PAUSE_BETWEEN_CALLS_MS, id -> next(deadline, latencyMicros, call, done));
    });
  }
}
