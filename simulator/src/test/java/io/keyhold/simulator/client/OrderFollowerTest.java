package io.keyhold.simulator.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.simulator.testing.FakeGateway;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Following an order through a real HTTP server speaking the buyer API's event stream and polling. */
class OrderFollowerTest {
  private final Vertx vertx = Vertx.vertx();
  private final List<String> seen = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String order(String state) {
    return new JsonObject().put("id", "ord_1").put("state", state).encode();
  }

  private OrderView follow(FakeGateway fake, FollowMode mode, Predicate<OrderView> until, long waitMs,
      OrderFollower[] followerOut) throws Exception {
    GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 8, 5_000);
    OrderFollower follower = new OrderFollower(client, mode, System::currentTimeMillis);
    followerOut[0] = follower;
    Context context = vertx.getOrCreateContext();
    Promise<OrderView> result = Promise.promise();
    context.runOnContext(v -> follower.await("ord_1", "token-1", until, System.currentTimeMillis() + waitMs,
        view -> seen.add(view.state())).onComplete(result));
    try {
      return result.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void theEventStreamCarriesTheOrderToItsEnd() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (request.path().endsWith("/events")) {
        stream(request);
      } else {
        request.response().putHeader("Content-Type", "application/json").end(order("awaiting_payment"));
      }
    })) {
      OrderFollower[] follower = new OrderFollower[1];
      OrderView last = follow(fake, FollowMode.SSE, OrderView::terminal, 10_000, follower);

      assertThat(last.state()).isEqualTo("released");
      assertThat(seen).contains("funded", "ready", "released");
      assertThat(follower[0].streamUnsupported()).isFalse();
      assertThat(fake.requests()).anySatisfy(r -> {
        assertThat(r.uri()).startsWith("/v1/buyer/orders/ord_1/events?t=token-1");
        assertThat(r.authorization()).isEqualTo("Bearer token-1");
      });
    }
  }

  @Test
  void oneStreamServesEveryWaitOfAnOrderUntilItIsClosed() throws Exception {
    AtomicInteger streams = new AtomicInteger();
    AtomicInteger polls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (request.path().endsWith("/events")) {
        streams.incrementAndGet();
        stream(request);
      } else {
        polls.incrementAndGet();
        request.response().putHeader("Content-Type", "application/json").end(order("awaiting_payment"));
      }
    })) {
      GatewayClient client = GatewayClient.create(vertx, fake.url(), "admin", 8, 5_000);
      OrderFollower follower = new OrderFollower(client, FollowMode.SSE, System::currentTimeMillis);
      Context context = vertx.getOrCreateContext();
      Promise<List<String>> result = Promise.promise();
      OrderFollower.Following[] following = new OrderFollower.Following[1];
      context.runOnContext(v -> {
        following[0] = follower.open("ord_1", "token-1", System.currentTimeMillis() + 10_000,
            view -> seen.add(view.state()));
        following[0].until(view -> view.state().equals("ready"))
            .compose(ready -> following[0].until(OrderView::terminal).map(end -> List.of(ready.state(), end.state())))
            .onComplete(result);
      });
      List<String> ends = result.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(ends).containsExactly("ready", "released");
      assertThat(streams.get()).as("streams opened for two waits").isEqualTo(1);
      assertThat(polls.get()).isZero();
      Promise<OrderView> afterClose = Promise.promise();
      context.runOnContext(v -> {
        following[0].close();
        following[0].until(OrderView::terminal).onComplete(afterClose);
      });
      assertThatThrownBy(() -> afterClose.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(FollowTimeoutException.class);
    }
  }

  private void stream(HttpServerRequest request) {
    request.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
    request.response().write(": hello\n\n");
    String[] states = {"funded", "ready", "released"};
    for (int i = 0; i < states.length; i++) {
      String state = states[i];
      vertx.setTimer(50L * (i + 1), id -> request.response().write("event: order\ndata: " + order(state) + "\n\n"));
    }
  }

  @Test
  void withoutAnEventStreamTheBuyerPollsUntilTheEnd() throws Exception {
    AtomicInteger polls = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (request.path().endsWith("/events")) {
        request.response().setStatusCode(404).putHeader("Content-Type", "application/problem+json")
            .end(new JsonObject().put("code", "not_found").encode());
        return;
      }
      int poll = polls.incrementAndGet();
      String state = poll < 3 ? "awaiting_payment" : poll < 5 ? "funded" : "refunded";
      request.response().putHeader("Content-Type", "application/json").end(order(state));
    })) {
      OrderFollower[] follower = new OrderFollower[1];
      OrderView last = follow(fake, FollowMode.SSE, OrderView::terminal, 20_000, follower);

      assertThat(last.state()).isEqualTo("refunded");
      assertThat(follower[0].streamUnsupported()).isTrue();
      assertThat(polls.get()).isEqualTo(5);
    }
  }

  @Test
  void aStreamRefusedForNowIsPolledThisTimeAndTriedAgainNextTime() throws Exception {
    AtomicInteger streams = new AtomicInteger();
    try (FakeGateway fake = FakeGateway.start(request -> {
      if (request.path().endsWith("/events")) {
        streams.incrementAndGet();
        request.response().setStatusCode(429).putHeader("Content-Type", "application/problem+json")
            .end(new JsonObject().put("code", "too_many_streams").encode());
        return;
      }
      request.response().putHeader("Content-Type", "application/json").end(order("released"));
    })) {
      OrderFollower[] follower = new OrderFollower[1];
      OrderView last = follow(fake, FollowMode.SSE, OrderView::terminal, 10_000, follower);

      assertThat(last.state()).isEqualTo("released");
      assertThat(streams.get()).isEqualTo(1);
      assertThat(follower[0].streamUnsupported()).isFalse();
    }
  }

  @Test
  void aWaitEndsByItselfAtTheDeadlineWithTheLastViewSeen() throws Exception {
    try (FakeGateway fake = FakeGateway.start(request -> request.response()
        .putHeader("Content-Type", "application/json").end(order("funded")))) {
      long started = System.currentTimeMillis();

      assertThatThrownBy(() -> follow(fake, FollowMode.POLL, OrderView::terminal, 500, new OrderFollower[1]))
          .isInstanceOfSatisfying(FollowTimeoutException.class,
              timeout -> assertThat(timeout.last().state()).isEqualTo("funded"));
      assertThat(System.currentTimeMillis() - started).isLessThan(5_000);
    }
  }
}
