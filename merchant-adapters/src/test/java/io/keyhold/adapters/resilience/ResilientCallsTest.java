package io.keyhold.adapters.resilience;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rules of {@link ResilientCalls} that need no network: the calls here are plain suppliers that
 * count how often they run, which is the thing under test.
 */
class ResilientCallsTest {

  private Vertx vertx;
  private ResilientCalls calls;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    calls = ResilientCalls.create(vertx, "test/calls",
        MerchantPolicy.builder().retryMaxAttempts(3).retryInitialDelayMs(5).build(),
        Clock.systemUTC(), new SimpleMeterRegistry());
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  private static Future<String> unknown() {
    return Future.failedFuture(new OutcomeUnknownException(OutcomeUnknownException.Cause.CONNECTION, "lost"));
  }

  @Test
  void aCallThatIsNotIdempotentRunsOnceEvenWhenItsOutcomeIsUnknown() {
    AtomicInteger runs = new AtomicInteger();

    failure(calls.call("charge", Idempotency.NOT_IDEMPOTENT, () -> {
      runs.incrementAndGet();
      return unknown();
    }));

    assertThat(runs.get()).isEqualTo(1);
  }

  @Test
  void anIdempotentCallIsRetriedUntilItSucceeds() {
    AtomicInteger runs = new AtomicInteger();

    String answer = result(calls.call("provide", Idempotency.IDEMPOTENT,
        () -> runs.incrementAndGet() < 3 ? unknown() : Future.succeededFuture("key")));

    assertThat(answer).isEqualTo("key");
    assertThat(runs.get()).isEqualTo(3);
  }

  @Test
  void otherFailuresAreNotRetried() {
    AtomicInteger runs = new AtomicInteger();

    Throwable failure = failure(calls.call("provide", Idempotency.IDEMPOTENT, () -> {
      runs.incrementAndGet();
      return Future.failedFuture(new IllegalStateException("bug"));
    }));

    assertThat(failure).isInstanceOf(IllegalStateException.class);
    assertThat(runs.get()).isEqualTo(1);
  }

  @Test
  void whatACallThrowsComesBackAsAFailedFuture() {
    Throwable failure = failure(calls.call("provide", Idempotency.NOT_IDEMPOTENT, () -> {
      throw new IllegalArgumentException("thrown, not returned");
    }));

    assertThat(failure).hasMessage("thrown, not returned");
    assertThat(calls.availableConcurrentCalls()).as("the permit was given back").isEqualTo(16);
  }
}
