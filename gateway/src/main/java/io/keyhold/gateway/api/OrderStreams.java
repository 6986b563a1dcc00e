package io.keyhold.gateway.api;

import io.keyhold.escrow.Order;
import io.keyhold.gateway.engine.BuyerOrders;
import io.keyhold.gateway.store.OrderChanges;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live order updates for buyers as server-sent events ({@code GET /v1/buyer/orders/{id}/events}).
 *
 * <p>Each stream gets {@code retry}, then the order's view at once ({@code event: order}, {@code id:}
 * the order version, {@code data:} the view without keys), then the view again after every change
 * this gateway commits ({@link OrderChanges}: the committed order comes with the announcement, so only what the
 * view shows beside it is read), and a comment
 * line every {@link #HEARTBEAT_MS} so proxies keep the connection. At each heartbeat one query reads
 * the version (and refunds carried out) of every order being watched, and the orders that moved are
 * read again, so a change made by another gateway instance on the same database, or a refund the
 * provider completed, shows within one heartbeat. Loads are coalesced per order: one read serves
 * every stream of the order.
 *
 * <p>Bounded: at most {@link #STREAMS_PER_ORDER_MAX} streams per order and {@link #STREAMS_MAX} in
 * all (429 {@code too_many_streams} past either; the page then polls); a stream ends after
 * {@link #STREAM_LIFETIME_MS} (the browser reconnects by itself) or when its client reads too slowly
 * (the write queue fills); all end when the server shuts down.
 *
 * <p>State is guarded by this object's monitor (short critical sections, no I/O inside), since
 * connections live on several event loops. A stream is written only on its own connection's context: a
 * change read on one event loop and an older view read on another could otherwise each pass the version
 * check and reach the wire in the other order, leaving the buyer on the older view.
 */
final class OrderStreams {
  public static final int STREAMS_PER_ORDER_MAX = 4;
  public static final int STREAMS_MAX = 2_000;
  public static final long HEARTBEAT_MS = 15_000;
  public static final long STREAM_LIFETIME_MS = 30 * 60_000L;
  /** What the browser waits before reconnecting, sent as the stream's {@code retry:} field. */
  public static final long RETRY_MS = 3_000;

  /** Orders checked per heartbeat query. */
  public static final int HEARTBEAT_BATCH_MAX = 500;

  private static final Logger LOG = LoggerFactory.getLogger(OrderStreams.class);
  private static final String WATCHED = "SELECT o.id, o.version, (SELECT coalesce(sum(r.amount_minor), 0)"
      + " FROM refunds r WHERE r.merchant_id = o.merchant_id AND r.order_id = o.id) AS refund_sent"
      + " FROM orders o WHERE o.id = ANY($1)";
  /** The view's field that changes with every read, so never decides whether a view is new. */
  private static final String SERVER_TIME = "server_time";
  /** Room for an event's lines around its data ({@code id:}, {@code event:}, the server time): one allocation. */
  private static final int EVENT_FRAMING_BYTES = 96;
  private static final Pattern STREAM_PATH = Pattern.compile("/v1/buyer/orders/[^/]+/events");

  private final Vertx vertx;
  private final Pool pool;
  private final BuyerOrders buyers;
  private final int perOrderMax;
  private final int totalMax;
  private final Map<String, Channel> channels = new HashMap<>();
  private int open;

  public OrderStreams(Vertx vertx, Pool pool, BuyerOrders buyers) {
    this(vertx, pool, buyers, STREAMS_PER_ORDER_MAX, STREAMS_MAX, HEARTBEAT_MS);
  }

  /** With other limits and pace; for tests. */
  OrderStreams(Vertx vertx, Pool pool, BuyerOrders buyers, int perOrderMax, int totalMax, long heartbeatMs) {
    if (perOrderMax <= 0 || totalMax <= 0) {
      throw new IllegalArgumentException("stream limits must be greater than 0, but were " + perOrderMax
          + " per order and " + totalMax + " in all");
    }
    if (heartbeatMs <= 0) {
      throw new IllegalArgumentException("heartbeatMs must be greater than 0, but was " + heartbeatMs);
    }
    this.vertx = vertx;
    this.pool = pool;
    this.buyers = buyers;
    this.perOrderMax = perOrderMax;
    this.totalMax = totalMax;
    buyers.store().changes().listen(this::changed);
    vertx.setPeriodic(heartbeatMs, id -> heartbeat());
  }

  /**
   * Wraps the router's request timeout so that event streams, which stay open on purpose, are not
   * cut by it; every other request keeps the timeout.
   */
  public static Handler<RoutingContext> exceptStreams(Handler<RoutingContext> timeout) {
    return ctx -> {
      if (ctx.request().method() == HttpMethod.GET && STREAM_PATH.matcher(ctx.request().path()).matches()) {
        ctx.next();
      } else {
        timeout.handle(ctx);
      }
    };
  }

  /** Streams open now. */
  public synchronized int openStreams() {
    return open;
  }

  /**
   * Serves the stream on {@code ctx}; the future completes when it ends (so the API layer has
   * nothing left to send). Fails with 429 when a limit is reached.
   */
  public Future<Reply> serve(RoutingContext ctx, String orderId) {
    Stream stream;
    synchronized (this) {
      Channel channel = channels.get(orderId);
      if (open >= totalMax || (channel != null && channel.streams.size() >= perOrderMax)) {
        return Future.failedFuture(new ProblemException(ProblemCode.TOO_MANY_STREAMS, "At most " + perOrderMax
            + " live streams per order and " + totalMax + " in all; retry later or poll the order"));
      }
      if (channel == null) {
        channel = new Channel(orderId);
        channels.put(orderId, channel);
      }
      stream = new Stream(channel, ctx.response(), ctx.vertx().getOrCreateContext(), System.nanoTime());
      channel.streams.add(stream);
      open++;
    }
    HttpServerResponse response = ctx.response();
    response.setStatusCode(200)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader("X-Accel-Buffering", "no")
        .setChunked(true);
    response.closeHandler(closed -> remove(stream));
    response.exceptionHandler(failure -> remove(stream));
    ctx.request().connection().shutdownHandler(shutdown -> remove(stream));
    response.write("retry: " + RETRY_MS + "\n\n");
    buyers.view(orderId, false)
        .onSuccess(view -> {
          if (view != null) {
            send(stream, view);
          }
        })
        .onFailure(failure -> {
          LOG.warn("first event of a stream for order {} failed: {}", orderId, failure.toString());
          remove(stream);
        });
    return stream.done.future();
  }

  /** A change this instance committed: the streams of the order, if any, get its view. */
  private void changed(Order order) {
    Channel channel;
    synchronized (this) {
      channel = channels.get(order.id());
    }
    if (channel != null) {
      refresh(channel, order);
    }
  }

  /**
   * Sends the view to every stream of the channel that has not seen it: of {@code known}, the order as just
   * committed, or (null) of the order read again. One view at a time per channel; what arrives meanwhile is
   * coalesced into one more view, of the newest order in hand, or read again if any caller asked for that.
   */
  private void refresh(Channel channel, Order known) {
    synchronized (this) {
      if (channel.loading) {
        if (known == null) {
          channel.readAgain = true;
        } else if (channel.newest == null || known.version() > channel.newest.version()) {
          channel.newest = known;
        }
        return;
      }
      channel.loading = true;
    }
    Future<JsonObject> view = known == null ? buyers.view(channel.orderId, false) : buyers.view(known, false);
    view.onComplete(result -> {
      List<Stream> targets;
      boolean again;
      Order next;
      synchronized (this) {
        channel.loading = false;
        again = (channel.readAgain || channel.newest != null) && !channel.streams.isEmpty();
        next = channel.readAgain ? null : channel.newest;
        channel.readAgain = false;
        channel.newest = null;
        targets = new ArrayList<>(channel.streams);
      }
      if (result.succeeded() && result.result() != null) {
        targets.forEach(stream -> send(stream, result.result()));
      } else if (result.failed()) {
        LOG.warn("reading order {} for its streams failed: {}", channel.orderId, result.cause().toString());
      }
      if (again) {
        refresh(channel, next);
      }
    });
  }

  /**
   * Sends the view unless the stream saw it already: a newer order version always goes out; the same
   * version goes out again only when something beside the order changed (a refund was carried out).
   * Checked and written on the stream's context, so views reach the wire in the order they were checked.
   */
  private void send(Stream stream, JsonObject view) {
    onStreamContext(stream, () -> sendHere(stream, view));
  }

  private void sendHere(Stream stream, JsonObject view) {
    long version = view.getLong("version");
    // The view without its server time, encoded once, straight to UTF-8: what is compared with the last view sent,
    // and, with the time put first, what is sent. The view is shared by the order's streams: a shallow copy, never
    // changed, is enough.
    Map<String, Object> fields = new LinkedHashMap<>(view.getMap());
    Object serverTime = fields.remove(SERVER_TIME);
    Buffer data = new JsonObject(fields).toBuffer();
    synchronized (this) {
      if (stream.ended || version < stream.sentVersion
          || (version == stream.sentVersion && data.equals(stream.sentData))) {
        return;
      }
      stream.sentVersion = version;
      stream.sentData = data;
    }
    Buffer event = Buffer.buffer(data.length() + EVENT_FRAMING_BYTES)
        .appendString("id: ").appendString(Long.toString(version)).appendString("\nevent: order\ndata: ");
    if (serverTime == null) {
      event.appendBuffer(data);
    } else {
      event.appendString("{\"" + SERVER_TIME + "\":").appendString(Json.encode(serverTime));
      // The rest of the object after its '{', or its end when it has no other member.
      event.appendString(data.length() > 2 ? "," : "").appendBuffer(data, 1, data.length() - 1);
    }
    write(stream, event.appendString("\n\n"));
  }

  private void write(Stream stream, String text) {
    write(stream, Buffer.buffer(text));
  }

  private void write(Stream stream, Buffer bytes) {
    HttpServerResponse response = stream.response;
    if (response.ended() || response.closed()) {
      remove(stream);
      return;
    }
    if (response.writeQueueFull()) {
      // A client this far behind gets a fresh start by reconnecting rather than unbounded buffering.
      remove(stream);
      return;
    }
    response.write(bytes).onFailure(failure -> remove(stream));
  }

  private void heartbeat() {
    List<Stream> streams = new ArrayList<>();
    List<String> watched = new ArrayList<>();
    synchronized (this) {
      channels.values().forEach(channel -> {
        streams.addAll(channel.streams);
        watched.add(channel.orderId);
      });
    }
    long now = System.nanoTime();
    for (Stream stream : streams) {
      if ((now - stream.openedNanos) / 1_000_000 >= STREAM_LIFETIME_MS) {
        remove(stream);
      } else {
        onStreamContext(stream, () -> write(stream, ": keep-alive\n\n"));
      }
    }
    for (int from = 0; from < watched.size(); from += HEARTBEAT_BATCH_MAX) {
      List<String> batch = watched.subList(from, Math.min(watched.size(), from + HEARTBEAT_BATCH_MAX));
      pool.preparedQuery(WATCHED).execute(Tuple.tuple().addArrayOfString(batch.toArray(new String[0])))
          .onSuccess(this::refreshMoved)
          .onFailure(failure -> LOG.warn("checking watched orders failed: {}", failure.toString()));
    }
  }

  /** Reads again the orders whose version or refunds changed since the last heartbeat. */
  private void refreshMoved(RowSet<Row> rows) {
    List<Channel> moved = new ArrayList<>();
    synchronized (this) {
      for (Row row : rows) {
        Channel channel = channels.get(row.getString("id"));
        String seen = row.getLong("version") + ":" + row.getLong("refund_sent");
        if (channel != null && !seen.equals(channel.seen)) {
          channel.seen = seen;
          moved.add(channel);
        }
      }
    }
    moved.forEach(channel -> refresh(channel, null));
  }

  private void remove(Stream stream) {
    synchronized (this) {
      if (stream.ended) {
        return;
      }
      stream.ended = true;
      open--;
      Channel channel = stream.channel;
      channel.streams.remove(stream);
      if (channel.streams.isEmpty()) {
        channels.remove(channel.orderId, channel);
      }
    }
    onStreamContext(stream, () -> {
      HttpServerResponse response = stream.response;
      if (!response.ended() && !response.closed()) {
        response.end();
      }
      stream.done.tryComplete(Reply.ok(new JsonObject()));
    });
  }

  /** Runs {@code action} on the stream's context: at once when already there, else after what it is doing. */
  private static void onStreamContext(Stream stream, Runnable action) {
    if (Vertx.currentContext() == stream.context) {
      action.run();
    } else {
      stream.context.runOnContext(ignored -> action.run());
    }
  }

  private static final class Channel {
    final String orderId;
    final Set<Stream> streams = new LinkedHashSet<>();
    /** Version and refunds of the order at the last heartbeat. */
    String seen;
    boolean loading;
    /** A view asked for while one was loading, of the order read again ... */
    boolean readAgain;
    /** ... or of the newest order in hand (null: none asked for). */
    Order newest;

    Channel(String orderId) {
      this.orderId = orderId;
    }
  }

  private static final class Stream {
    final Channel channel;
    final HttpServerResponse response;
    /** The context of the stream's request: every write to the response happens there. */
    final Context context;
    final long openedNanos;
    final Promise<Reply> done = Promise.promise();
    /** What went out last; read and written on {@link #context} only. */
    long sentVersion;
    Buffer sentData;
    boolean ended;

    Stream(Channel channel, HttpServerResponse response, Context context, long openedNanos) {
      this.channel = channel;
      this.response = response;
      this.context = context;
      this.openedNanos = openedNanos;
    }
  }
}
