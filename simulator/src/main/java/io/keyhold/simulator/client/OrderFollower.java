package io.keyhold.simulator.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Follows one order until it satisfies a condition: through the buyer event stream
 * ({@code GET /v1/buyer/orders/{id}/events}) with a slow poll beside it in case an event is lost,
 * or by polling alone (with a growing interval) when the stream is not offered. Every wait ends by
 * itself: when the condition holds, at the deadline given, or when the run stops.
 *
 * <p>Not thread-safe: call it on the simulation's event-loop context, where its timers and
 * handlers run too.
 */
public final class OrderFollower {
  public static final long POLL_INTERVAL_MS_MIN = 100;
  public static final long POLL_INTERVAL_MS_MAX = 3_000;
  /**
   * The poll beside a stream is a safety net for a stream that went quiet: it asks only after this
   * long without a byte on the stream. The gateway writes a heartbeat every 15 s (and re-reads the
   * order then), so a live stream is never polled and a slow gateway is not asked more because it is slow.
   */
  public static final long STREAM_SILENCE_MS = 20_000;
  /** The first look beside a stream still opening, in case it never opens. */
  public static final long STREAM_FIRST_LOOK_MS = 5_000;
  /** How long a stream may wait for a free connection of the stream pool before the wait polls instead. */
  public static final long STREAM_CONNECT_TIMEOUT_MS = 2_000;

  private final GatewayClient client;
  private final Vertx vertx;
  private final FollowMode mode;
  private final LongSupplier nowMs;
  private volatile boolean streamUnsupported;

  public OrderFollower(GatewayClient client, FollowMode mode, LongSupplier nowMs) {
    this.client = client;
    this.vertx = client.vertx();
    this.mode = mode;
    this.nowMs = nowMs;
  }

  /** True once the gateway answered that it has no event stream (404, 405, 406); polling is used from then on. */
  public boolean streamUnsupported() {
    return streamUnsupported;
  }

  /**
   * The first view of the order that satisfies {@code until}; fails with {@link FollowTimeoutException}
   * at {@code deadlineMs} (on the {@code nowMs} clock). {@code onView} sees every view on the way.
   */
  public Future<OrderView> await(String orderId, String token, Predicate<OrderView> until, long deadlineMs,
      Consumer<OrderView> onView) {
    Wait wait = new Wait(orderId, token, until, deadlineMs, onView);
    wait.begin();
    return wait.promise.future();
  }

  private final class Wait {
    final String orderId;
    final String token;
    final Predicate<OrderView> until;
    final long deadlineMs;
    final Consumer<OrderView> onView;
    final Promise<OrderView> promise = Promise.promise();
    final AtomicBoolean done = new AtomicBoolean();
    OrderView last;
    HttpClientRequest stream;
    long pollTimer = -1;
    long deadlineTimer = -1;
    long pollIntervalMs = POLL_INTERVAL_MS_MIN;
    long lastHeardMs;
    boolean streaming;
    boolean streamPending;

    Wait(String orderId, String token, Predicate<OrderView> until, long deadlineMs, Consumer<OrderView> onView) {
      this.orderId = orderId;
      this.token = token;
      this.until = until;
      this.deadlineMs = deadlineMs;
      this.onView = onView;
    }

    void begin() {
      long left = deadlineMs - nowMs.getAsLong();
      if (left <= 0) {
        finish(null, new FollowTimeoutException(orderId, null));
        return;
      }
      deadlineTimer = vertx.setTimer(left, id -> finish(null, new FollowTimeoutException(orderId, last)));
      if (mode == FollowMode.SSE && !streamUnsupported) {
        openStream();
        // A first look whatever happens to the stream: if it cannot open (no free connection, refused),
        // this wait goes on polling and never stalls.
        schedulePoll(STREAM_FIRST_LOOK_MS);
      } else {
        poll();
      }
    }

    void openStream() {
      streamPending = true;
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
          .setAbsoluteURI(client.buyer().eventsUrl(orderId) + "?t=" + URLEncoder.encode(token, StandardCharsets.UTF_8))
          .putHeader("Accept", "text/event-stream")
          .putHeader("Authorization", "Bearer " + token)
          .setConnectTimeout(Math.max(1, Math.min(STREAM_CONNECT_TIMEOUT_MS, deadlineMs - nowMs.getAsLong())));
      client.streams().request(options)
          .compose(request -> {
            stream = request;
            if (done.get()) {
              request.reset();
              return Future.failedFuture("finished before the stream opened");
            }
            return request.send();
          })
          .onComplete(result -> {
            streamPending = false;
            if (result.succeeded()) {
              streaming(result.result());
            } else {
              // No stream (no free connection in time, no connection at all): this wait polls.
              schedulePoll(POLL_INTERVAL_MS_MIN);
            }
          });
    }

    void streaming(HttpClientResponse response) {
      int status = response.statusCode();
      if (status != 200) {
        if (status == 404 || status == 405 || status == 406) {
          streamUnsupported = true;
        }
        // Drain the small problem answer so the connection goes back to the pool; this wait polls.
        response.exceptionHandler(ignored -> { });
        response.handler(ignored -> { });
        stream = null;
        schedulePoll(POLL_INTERVAL_MS_MIN);
        return;
      }
      streaming = true;
      lastHeardMs = nowMs.getAsLong();
      SseParser parser = new SseParser((event, data) -> {
        if (!"order".equals(event) && !"message".equals(event)) {
          return;
        }
        try {
          offer(OrderView.fromJson(new JsonObject(data)));
        } catch (RuntimeException unreadable) {
          // An event we cannot read changes nothing; the safety poll still sees the order.
        }
      });
      response.handler(chunk -> {
        lastHeardMs = nowMs.getAsLong();
        try {
          parser.feed(chunk);
        } catch (IllegalStateException tooLarge) {
          response.request().reset();
        }
      });
      response.exceptionHandler(failure -> streamEnded());
      response.endHandler(end -> streamEnded());
    }

    void streamEnded() {
      stream = null;
      streaming = false;
      if (!done.get()) {
        // The stream closed early (a proxy, a restart): fall back to polling until the wait ends.
        pollIntervalMs = POLL_INTERVAL_MS_MIN;
        schedulePoll(POLL_INTERVAL_MS_MIN);
      }
    }

    void poll() {
      if (done.get()) {
        return;
      }
      if (streaming && nowMs.getAsLong() - lastHeardMs < STREAM_SILENCE_MS) {
        // The stream is alive: no need to ask; look again once it could have gone quiet.
        schedulePoll(STREAM_SILENCE_MS - (nowMs.getAsLong() - lastHeardMs));
        return;
      }
      client.buyer().orderOnce(orderId, token).onComplete(result -> {
        if (result.succeeded()) {
          offer(result.result());
        }
        if (!done.get()) {
          // Beside a stream (open or still opening) a poll is only a safety net: slow. Alone, it backs off.
          boolean beside = streaming || streamPending;
          long next = beside ? STREAM_SILENCE_MS : pollIntervalMs;
          if (!beside) {
            pollIntervalMs = Math.min(POLL_INTERVAL_MS_MAX, pollIntervalMs * 3 / 2);
          }
          schedulePoll(next);
        }
      });
    }

    void schedulePoll(long delayMs) {
      if (done.get()) {
        return;
      }
      if (pollTimer >= 0) {
        vertx.cancelTimer(pollTimer);
      }
      pollTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
        pollTimer = -1;
        poll();
      });
    }

    void offer(OrderView view) {
      if (done.get() || !orderId.equals(view.id())) {
        return;
      }
      last = view;
      onView.accept(view);
      if (until.test(view)) {
        finish(view, null);
      }
    }

    void finish(OrderView view, Throwable failure) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      if (pollTimer >= 0) {
        vertx.cancelTimer(pollTimer);
      }
      if (deadlineTimer >= 0) {
        vertx.cancelTimer(deadlineTimer);
      }
      if (stream != null) {
        stream.reset();
      }
      if (failure != null) {
        promise.fail(failure);
      } else {
        promise.complete(view);
      }
    }
  }
}
