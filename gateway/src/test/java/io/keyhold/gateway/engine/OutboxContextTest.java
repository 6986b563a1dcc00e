package io.keyhold.gateway.engine;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.store.Instances;
import io.keyhold.gateway.testing.EventLoops;
import io.keyhold.gateway.testing.TestGateway;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The outbox keeps its state (rows running, the claim under way, its timer) on its own context, also when an
 * effect's future finishes on another event loop, as a shop's answer or an adapter built by a request may.
 */
class OutboxContextTest {
  private static final String KIND = "context_test";

  static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    // Workers off: the only outbox claiming rows is the test's own.
    gw = TestGateway.start(config -> config.engine(EngineConfig.builder().workers(false).build()));
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void goesOnOnItsOwnEventLoopAfterAnEffectFinishedOnAnother() {
    List<Context> loops = EventLoops.two(gw.gateway().vertx());
    Thread firstLoop = EventLoops.threadOf(loops.get(0));
    List<Thread> handledOn = new CopyOnWriteArrayList<>();
    Promise<Void> secondHandled = Promise.promise();
    OutboxDispatcher.Handler handler = row -> {
      handledOn.add(Thread.currentThread());
      if (handledOn.size() > 1) {
        secondHandled.tryComplete();
        return Future.succeededFuture();
      }
      Context elsewhere = firstLoop == Thread.currentThread() ? loops.get(1) : loops.get(0);
      // Finishes on the other event loop once the outbox's turn is over, as a shop's answer may.
      Context here = Vertx.currentContext();
      return Future.future(done -> here.runOnContext(later -> elsewhere.runOnContext(there -> done.complete())));
    };
    // One row at a time: the second is claimed only once the first is recorded, by what runs after it.
    EngineConfig oneAtATime = EngineConfig.builder().outboxBatchMax(1).outboxConcurrencyMax(1).build();
    OutboxDispatcher outbox = new OutboxDispatcher(gw.gateway().vertx(), gw.gateway().database().enginePool(),
        Clock.systemUTC(), oneAtATime, Instances.newId(), Map.of(KIND, handler), new SimpleMeterRegistry());
    gw.query("INSERT INTO outbox (kind, idempotency_key, payload, next_attempt_at, created_at)"
        + " SELECT $1, 'context-' || n, '{}', now() - interval '1 second', now() FROM generate_series(1, 2) n", KIND);

    outbox.start();
    try {
      await(secondHandled.future());
    } finally {
      await(outbox.stop(1_000));
    }

    assertThat(handledOn).hasSize(2);
    assertThat(handledOn.get(1)).isEqualTo(handledOn.get(0));
  }
}
