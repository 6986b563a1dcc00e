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
    Following following = open(orderId, token, deadlineMs, onView);
    return following.until(until).onComplete(ended -> following.close());
  }

  /**
   * Starts following one order until {@code deadlineMs} (on the {@code nowMs} clock) or {@link Following#close}: as
   * a buyer's page does, one event stream serves every wait of the order ({@link Following#until}), so the gateway
   * is asked for the order once, not once per wait. {@code onView} sees every view on the way.
   */
  public Following open(String orderId, String token, long deadlineMs, Consumer<OrderView> onView) {
    Following following = new Following(orderId, token, deadlineMs, onView);
    following.begin();
    return following;
  }

  /**
   * One order followed: its stream (or polls) kept across its waits, one wait at a time. Every wait ends by itself:
   * when its condition holds, at the deadline, or when it is closed.
   */
  public final class Following {
    final String orderId;
    final String token;
    final long deadlineMs;
    final Consumer<OrderView> onView;
    boolean closed;
    Predicate<OrderView> until;
    Promise<OrderView> promise;
    OrderView last;
    HttpClientRequest stream;
    long pollTimer = -1;
    long deadlineTimer = -1;
    long pollIntervalMs = POLL_INTERVAL_MS_MIN;
    long lastHeardMs;
    boolean streaming;
    boolean streamPending;

    Following(String orderId, String token, long deadlineMs, Consumer<OrderView> onView) {
      this.orderId = orderId;
      this.token = token;
      this.deadlineMs = deadlineMs;
      this.onView = onView;
    }

    void begin() {
      long left = deadlineMs - nowMs.getAsLong();
      if (left <= 0) {
        closed = true;
        return;
      }
      deadlineTimer = vertx.setTimer(left, id -> {
        deadlineTimer = -1;
        close();
      });
      if (mode == FollowMode.SSE && !streamUnsupported) {
        openStream();
      }
    }

    /**
     * The first view of the order, from now on, that satisfies {@code condition} (the last one seen, when it does);
     * fails with {@link FollowTimeoutException} at the deadline, or at once when this following has ended.
     */
    public Future<OrderView> until(Predicate<OrderView> condition) {
      if (closed) {
        return Future.failedFuture(new FollowTimeoutException(orderId, last));
      }
      if (promise != null) {
        return Future.failedFuture(new IllegalStateException("order " + orderId + " is already awaited"));
      }
      if (last != null && condition.test(last)) {
        return Future.succeededFuture(last);
      }
      until = condition;
      promise = Promise.promise();
      Future<OrderView> awaited = promise.future();
      if (mode == FollowMode.SSE && !streamUnsupported && stream == null && !streamPending) {
        // The stream ended since the last wait (a restart, a refusal for now): try again, as a page reconnects.
        openStream();
      }
      if (streaming || streamPending) {
        // A first look whatever happens to the stream: if it cannot open (no free connection, refused), this wait
        // goes on polling and never stalls.
        schedulePoll(streaming ? STREAM_SILENCE_MS - (nowMs.getAsLong() - lastHeardMs) : STREAM_FIRST_LOOK_MS);
      } else {
        pollIntervalMs = POLL_INTERVAL_MS_MIN;
        poll();
      }
      return awaited;
    }

    /** Ends the following: its stream is closed, and a wait under way fails as at the deadline. */
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      cancelPoll();
      if (deadlineTimer >= 0) {
        vertx.cancelTimer(deadlineTimer);
        deadlineTimer = -1;
      }
      if (stream != null) {
        stream.reset();
        stream = null;
      }
      settle(null, new FollowTimeoutException(orderId, last));
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
            if (closed) {
              request.reset();
              return Future.failedFuture("closed before the stream opened");
            }
            stream = request;
            return request.send();
          })
          .onComplete(result -> {
            streamPending = false;
            if (result.succeeded()) {
              streaming(result.result());
            } else {
              // No stream (no free connection in time, no connection at all): a wait polls.
              stream = null;
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
        // Drain the small problem answer so the connection goes back to the pool; a wait polls.
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
      if (!closed) {
        // The stream closed early (a proxy, a restart): a wait under way polls until it ends.
        pollIntervalMs = POLL_INTERVAL_MS_MIN;
        schedulePoll(POLL_INTERVAL_MS_MIN);
      }
    }

    void poll() {
      if (closed || promise == null) {
        // Nobody waits: the stream (if any) keeps the last view; the next wait looks again.
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
        if (!closed && promise != null) {
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
      if (closed || promise == null) {
        return;
      }
      cancelPoll();
      pollTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
        pollTimer = -1;
        poll();
      });
    }

    void cancelPoll() {
      if (pollTimer >= 0) {
        vertx.cancelTimer(pollTimer);
        pollTimer = -1;
      }
    }

    void offer(OrderView view) {
      if (closed || !orderId.equals(view.id())) {
        return;
      }
      last = view;
      onView.accept(view);
      if (until != null && until.test(view)) {
        settle(view, null);
      }
    }

    /** Ends the wait under way, if any; the stream stays for the next one. */
    void settle(OrderView view, Throwable failure) {
      Promise<OrderView> waiting = promise;
      if (waiting == null) {
        return;
      }
      promise = null;
      until = null;
      cancelPoll();
      if (failure != null) {
        waiting.fail(failure);
      } else {
        waiting.complete(view);
      }
    }
  }
}
