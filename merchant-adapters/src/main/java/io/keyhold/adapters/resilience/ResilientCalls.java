package io.keyhold.adapters.resilience;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedTimeLimiterMetrics;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterException;
import io.keyhold.adapters.spi.CallRejectedException;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs the remote calls of one merchant (or issuer) inside its {@link MerchantPolicy}: a bulkhead
 * (semaphore, never waiting), a circuit breaker, a time limit per attempt, and retries with
 * exponential back-off for {@link Idempotency#IDEMPOTENT} calls only. Everything is non-blocking:
 * time limits and retry delays are Vert.x timers, and a call that cannot run now is rejected at once
 * with {@link CallRejectedException} instead of waiting, so a slow or dead merchant only ever uses its
 * own permits and never holds up another merchant's calls.
 *
 * <p>resilience4j 2.4 has no Vert.x module, so the resilience4j objects are driven by hand
 * (acquire permission, report success or error with the measured duration). Their state is
 * published to the {@link MeterRegistry} through resilience4j-micrometer's tagged metrics
 * ({@code resilience4j.circuitbreaker.state}, {@code resilience4j.bulkhead.available.concurrent.calls},
 * {@code resilience4j.retry.calls}, {@code resilience4j.timelimiter.calls}, tagged {@code name}), and
 * every call's outcome to the timer {@value #CALLS_METRIC} tagged {@code name}, {@code operation} and
 * {@code outcome} ({@code success}, {@code refused}, {@code unknown}, {@code rejected}, {@code error}).
 *
 * <p>Only unknown outcomes ({@link OutcomeUnknownException}) count as failures for the breaker and are
 * retried: a merchant that refuses is healthy, and a refusal repeated gets the same answer.
 *
 * <p>Thread-safe. One live instance per name and meter registry (meters are keyed by name): close
 * the old instance, which removes its meters, before creating its replacement.
 */
public final class ResilientCalls {

  /** Name of the timer recording every call's duration and outcome. */
  public static final String CALLS_METRIC = "keyhold.adapter.calls";

  private final Vertx vertx;
  private final String name;
  private final MerchantPolicy policy;
  private final MeterRegistry meterRegistry;
  private final CircuitBreakerRegistry breakers;
  private final BulkheadRegistry bulkheads;
  private final RetryRegistry retries;
  private final TimeLimiterRegistry timeLimiters;
  private final CircuitBreaker breaker;
  private final Bulkhead bulkhead;
  private final Retry retry;
  private final TimeLimiter timeLimiter;

  private ResilientCalls(Vertx vertx, String name, MerchantPolicy policy, Clock clock, MeterRegistry meterRegistry) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.name = Objects.requireNonNull(name, "name");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");

    CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.custom()
        .clock(Objects.requireNonNull(clock, "clock"))
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(policy.slidingWindowCalls())
        .minimumNumberOfCalls(policy.minimumCalls())
        .failureRateThreshold(policy.failureRateThresholdPercent())
        .waitDurationInOpenState(Duration.ofMillis(policy.openStateWaitMs()))
        .permittedNumberOfCallsInHalfOpenState(policy.halfOpenCalls())
        .recordException(ResilientCalls::isUnknownOutcome)
        .build();
    // Never wait for a permit: waiting would block the calling thread, an event loop.
    BulkheadConfig bulkheadConfig = BulkheadConfig.custom()
        .maxConcurrentCalls(policy.maxConcurrentCalls())
        .maxWaitDuration(Duration.ZERO)
        .build();
    RetryConfig retryConfig = RetryConfig.custom()
        .maxAttempts(policy.retryMaxAttempts())
        .intervalFunction(IntervalFunction.ofExponentialBackoff(
            policy.retryInitialDelayMs(), policy.retryBackoffMultiplier(), policy.retryMaxDelayMs()))
        .retryOnException(ResilientCalls::isUnknownOutcome)
        .build();
    TimeLimiterConfig timeLimiterConfig = TimeLimiterConfig.custom()
        .timeoutDuration(Duration.ofMillis(policy.timeoutMs()))
        .cancelRunningFuture(false)
        .build();

    this.breakers = CircuitBreakerRegistry.of(breakerConfig);
    this.bulkheads = BulkheadRegistry.of(bulkheadConfig);
    this.retries = RetryRegistry.of(retryConfig);
    this.timeLimiters = TimeLimiterRegistry.of(timeLimiterConfig);
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meterRegistry);
    TaggedBulkheadMetrics.ofBulkheadRegistry(bulkheads).bindTo(meterRegistry);
    TaggedRetryMetrics.ofRetryRegistry(retries).bindTo(meterRegistry);
    TaggedTimeLimiterMetrics.ofTimeLimiterRegistry(timeLimiters).bindTo(meterRegistry);
    this.breaker = breakers.circuitBreaker(name);
    this.bulkhead = bulkheads.bulkhead(name);
    this.retry = retries.retry(name);
    this.timeLimiter = timeLimiters.timeLimiter(name);
  }

  /**
   * The calls of one component of a merchant, named {@code <merchantId>/<component>} in metrics,
   * with the context's policy, clock and meter registry.
   */
  public static ResilientCalls create(AdapterContext context, String component) {
    return create(context.vertx(), context.merchantId() + "/" + component, context.policy(), context.clock(),
        context.meterRegistry());
  }

  /** Calls named {@code name} in metrics, within {@code policy}; the breaker reads time from {@code clock}. */
  public static ResilientCalls create(Vertx vertx, String name, MerchantPolicy policy, Clock clock,
      MeterRegistry meterRegistry) {
    return new ResilientCalls(vertx, name, policy, clock, meterRegistry);
  }

  /** The name used in metrics and rejection messages. */
  public String name() {
    return name;
  }

  /** The policy the calls run within. */
  public MerchantPolicy policy() {
    return policy;
  }

  /** The breaker's current state, for health pages and tests. */
  public CircuitBreaker.State circuitState() {
    return breaker.getState();
  }

  /** Calls that could start now before the bulkhead rejects. */
  public int availableConcurrentCalls() {
    return bulkhead.getMetrics().getAvailableConcurrentCalls();
  }

  /**
   * Runs {@code attempt} within the policy. {@code attempt} is called once per attempt and must not
   * block; whatever it throws or fails with ends up in the returned {@code Future}, never thrown.
   *
   * @param operation a short, stable name for metrics ({@code provide}, {@code check}...)
   * @param idempotency whether failed attempts with an unknown outcome may be repeated
   * @return the attempt's result; or {@link OutcomeUnknownException} (timeout, or the attempt's own),
   *     {@link CallRejectedException} (breaker open, bulkhead full; only when no attempt was sent
   *     with an unknown outcome before, since a rejected retry says nothing about an earlier attempt),
   *     or the attempt's own failure
   */
  public <T> Future<T> call(String operation, Idempotency idempotency, Supplier<Future<T>> attempt) {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(idempotency, "idempotency");
    Objects.requireNonNull(attempt, "attempt");
    Promise<T> result = Promise.promise();
    Retry.AsyncContext<T> retryContext = idempotency == Idempotency.IDEMPOTENT ? retry.asyncContext() : null;
    runAttempt(operation, attempt, retryContext, result, null);
    return result.future();
  }

  /**
   * @param earlierUnknown the unknown outcome of an earlier attempt, if any: a later attempt that is
   *     not even sent (breaker open, bulkhead full) must not hide that the first may have acted
   */
  private <T> void runAttempt(String operation, Supplier<Future<T>> attempt, Retry.AsyncContext<T> retryContext,
      Promise<T> result, OutcomeUnknownException earlierUnknown) {
    once(operation, attempt).onComplete(outcome -> {
      if (outcome.succeeded()) {
        if (retryContext != null) {
          retryContext.onComplete();
        }
        result.complete(outcome.result());
        return;
      }
      Throwable failure = outcome.cause();
      long delayMs = retryContext == null ? -1 : retryContext.onError(failure);
      OutcomeUnknownException unknown =
          failure instanceof OutcomeUnknownException thisUnknown ? thisUnknown : earlierUnknown;
      if (delayMs >= 0) {
        vertx.setTimer(Math.max(1, delayMs), timerId -> runAttempt(operation, attempt, retryContext, result, unknown));
      } else if (failure instanceof CallRejectedException && earlierUnknown != null) {
        earlierUnknown.addSuppressed(failure);
        result.fail(earlierUnknown);
      } else {
        result.fail(failure);
      }
    });
  }

  private <T> Future<T> once(String operation, Supplier<Future<T>> attempt) {
    if (!bulkhead.tryAcquirePermission()) {
      return rejected(operation, CallRejectedException.Reason.BULKHEAD_FULL);
    }
    if (!breaker.tryAcquirePermission()) {
      bulkhead.onComplete();
      return rejected(operation, CallRejectedException.Reason.CIRCUIT_OPEN);
    }
    long startNanos = System.nanoTime();
    Promise<T> timed = Promise.promise();
    long timeoutMs = policy.timeoutMs();
    long timerId = vertx.setTimer(timeoutMs, id -> timed.tryFail(new OutcomeUnknownException(
        OutcomeUnknownException.Cause.TIMEOUT, operation + " got no answer within " + timeoutMs + " ms")));
    invoke(attempt).onComplete(outcome -> {
      vertx.cancelTimer(timerId);
      if (outcome.succeeded()) {
        timed.tryComplete(outcome.result());
      } else {
        timed.tryFail(outcome.cause());
      }
    });
    return timed.future().andThen(outcome -> {
      long durationNanos = System.nanoTime() - startNanos;
      bulkhead.onComplete();
      if (outcome.succeeded()) {
        breaker.onSuccess(durationNanos, TimeUnit.NANOSECONDS);
        timeLimiter.onSuccess();
      } else {
        breaker.onError(durationNanos, TimeUnit.NANOSECONDS, outcome.cause());
        timeLimiter.onError(isTimeout(outcome.cause())
            ? new TimeoutException(operation + " timed out")
            : outcome.cause());
      }
      record(operation, outcomeTag(outcome.succeeded() ? null : outcome.cause()), durationNanos);
    });
  }

  private static <T> Future<T> invoke(Supplier<Future<T>> attempt) {
    try {
      Future<T> future = attempt.get();
      return future != null ? future : Future.failedFuture(new IllegalStateException("attempt returned null"));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private <T> Future<T> rejected(String operation, CallRejectedException.Reason reason) {
    record(operation, "rejected", 0);
    return Future.failedFuture(new CallRejectedException(reason, name));
  }

  private void record(String operation, String outcome, long durationNanos) {
    Timer.builder(CALLS_METRIC)
        .description("Remote adapter calls by merchant, operation and outcome")
        .tags("name", name, "operation", operation, "outcome", outcome)
        .register(meterRegistry)
        .record(durationNanos, TimeUnit.NANOSECONDS);
  }

  private static String outcomeTag(Throwable failure) {
    if (failure == null) {
      return "success";
    }
    if (failure instanceof AdapterException adapterException) {
      if (adapterException instanceof OutcomeUnknownException) {
        return "unknown";
      }
      return adapterException instanceof CallRejectedException ? "rejected" : "refused";
    }
    return "error";
  }

  private static boolean isUnknownOutcome(Throwable failure) {
    return failure instanceof OutcomeUnknownException;
  }

  private static boolean isTimeout(Throwable failure) {
    return failure instanceof OutcomeUnknownException unknown
        && unknown.reason() == OutcomeUnknownException.Cause.TIMEOUT;
  }

  /** Removes this instance's meters from the registry; calls made afterwards still run. */
  public void close() {
    breakers.remove(name);
    bulkheads.remove(name);
    retries.remove(name);
    timeLimiters.remove(name);
    List<Meter> meters = List.copyOf(meterRegistry.find(CALLS_METRIC).tag("name", name).meters());
    meters.forEach(meterRegistry::remove);
  }

  @Override
  public String toString() {
    return "ResilientCalls[" + name + ", " + breaker.getState() + "]";
  }
}
