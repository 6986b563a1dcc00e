package io.keyhold.gateway.engine;

import io.keyhold.gateway.store.ClaimedEffect;
import io.keyhold.gateway.store.ContextFutures;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.OutboxBackoff;
import io.keyhold.gateway.store.StoredOrder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs outbox rows: the effects of stored transitions and the gateway's own jobs (payment notices).
 * Every gateway instance runs one; they share the table safely.
 *
 * <p>A claim is one statement: up to a batch of due {@code pending} rows, picked in
 * {@code next_attempt_at} order with {@code FOR UPDATE SKIP LOCKED}, have their attempt counted and
 * their {@code next_attempt_at} pushed past a lease, so no other instance takes them while this one
 * works; a row whose handler reads its order comes with that order, read by the same statement. Then each row's
 * {@link Handler} runs (at most {@link EngineConfig#outboxConcurrencyMax()} at
 * once). Success marks the row {@code done}, many rows in one statement ({@link #DONE_BATCH_MAX}, at most
 * {@link #DONE_FLUSH_MS} after the first); a failure schedules the next attempt with exponential
 * backoff; after {@link EngineConfig#outboxAttemptsMax()} attempts the row is {@code failed} with its
 * last error kept for an operator. A claim names the instance ({@code claimed_by}): when an instance dies
 * mid-effect, the {@link Heartbeat} of another hands its rows back within seconds (the lease is only the
 * last resort); effects are idempotent, so running one twice is safe.
 *
 * <p>All of it runs on one Vert.x context, so its state needs no locks: {@link #wake()}, called from the
 * request paths of every event loop, only asks that context for a poll, and what a handler answers is
 * followed on that context again.
 */
final class OutboxDispatcher {
  /** Longest error text kept on a row (the column's limit). */
  public static final int ERROR_LENGTH_MAX = 1000;
  /** Finished rows marked done by one statement, at most. */
  public static final int DONE_BATCH_MAX = 256;
  /**
   * How long a finished row waits to be marked done with others. Its lease keeps other instances off it
   * meanwhile, and a crash before the mark only runs the (idempotent) effect once more.
   */
  public static final long DONE_FLUSH_MS = 100;
  /**
   * Finished rows kept for another done mark when one failed (the database was away), at most; past it they are
   * left to their lease (the effect then runs once more). Marked again after {@link #DONE_RETRY_MS}.
   */
  public static final int DONE_KEPT_MAX = 4 * DONE_BATCH_MAX;
  public static final long DONE_RETRY_MS = 500;
  /**
   * Rows claimed as they were queued ({@link #runClaimed}, {@link #runClaimedIn}) kept to run when a slot frees, at
   * most (a row and its order, ~2 KB each); past it they are given back, due at once for any claim, the rows behind
   * first.
   */
  public static final int CLAIMED_WAITING_MAX = 4096;

  private static final Logger LOG = LoggerFactory.getLogger(OutboxDispatcher.class);
  /**
   * The claim, and with each row of a kind whose handler reads its order ($6) that order as of the claim: the
   * handler runs at once, so the read it would make a moment later comes in the same statement.
   */
  private static final String CLAIM = "WITH due AS (SELECT id FROM outbox WHERE state = 'pending'"
      + " AND next_attempt_at <= $1 AND id <> ALL($4::bigint[]) ORDER BY next_attempt_at, id LIMIT $2"
      + " FOR UPDATE SKIP LOCKED),"
      + " claimed AS (UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = $3, claimed_by = $5"
      + " FROM due WHERE o.id = due.id"
      + " RETURNING o.id, o.kind, o.idempotency_key, o.payload, o.attempts, o.order_id, o.merchant_id)"
      + " SELECT c.id AS row_id, c.kind, c.idempotency_key, c.payload, c.attempts, c.order_id AS row_order_id,"
      + " c.merchant_id AS row_merchant_id, " + OrderStore.columns("ord") + " FROM claimed c LEFT JOIN orders ord"
      + " ON c.kind = ANY($6::text[]) AND ord.merchant_id = c.merchant_id AND ord.id = c.order_id";
  private static final String DONE = "UPDATE outbox SET state = 'done', finished_at = $2, last_error = NULL"
      + " WHERE id = ANY($1) AND state = 'pending'";
  private static final String RETRY = "UPDATE outbox SET next_attempt_at = $2, last_error = $3, claimed_by = NULL"
      + " WHERE id = $1 AND state = 'pending'";
  /** Rows claimed while the dispatcher was stopping go back untouched: attempt not counted, due at once. */
  private static final String GIVE_BACK = "UPDATE outbox SET attempts = attempts - 1, next_attempt_at = $2, claimed_by = NULL"
      + " WHERE id = ANY($1) AND state = 'pending'";
  /** This instance's claimed rows that it is not working on: due again at once (see {@link #takeBackOwnClaims}). */
  private static final String TAKE_BACK = "UPDATE outbox SET claimed_by = NULL, next_attempt_at = $3,"
      + " attempts = greatest(attempts - 1, 0) WHERE state = 'pending' AND claimed_by = $1 AND id <> ALL($2::bigint[])";
  private static final String FAILED = "UPDATE outbox SET state = 'failed', finished_at = $2, last_error = $3"
      + " WHERE id = $1 AND state = 'pending'";

  /** Carries out one kind of outbox row; fails to have it tried again. */
  @FunctionalInterface
  public interface Handler {
    Future<Void> run(Row row);

    /** True for a handler that starts by reading the row's order: its rows are claimed with it ({@link Row#order}). */
    default boolean readsOrder() {
      return false;
    }

    /** {@code handler}, its rows claimed with their order. */
    static Handler readingOrder(Handler handler) {
      Objects.requireNonNull(handler, "handler");
      return new Handler() {
        @Override
        public Future<Void> run(Row row) {
          return handler.run(row);
        }

        @Override
        public boolean readsOrder() {
          return true;
        }
      };
    }
  }

  /**
   * A claimed outbox row.
   *
   * @param id the row
   * @param kind what to do
   * @param idempotencyKey the row's key (an effect's key)
   * @param payload what the writer stored
   * @param attempts this attempt's number, from 1
   * @param orderId the order, or null
   * @param merchantId the merchant, or null
   * @param order for a handler that {@link Handler#readsOrder reads its order}, the order as the claim read it (null
   *     for other kinds, or when there is no such order)
   */
  public record Row(long id, String kind, String idempotencyKey, JsonObject payload, int attempts, String orderId,
      String merchantId, StoredOrder order) {
    /** The row without the order read at its claim: for a run some time after the claim, which reads it again. */
    Row withoutOrder() {
      return new Row(id, kind, idempotencyKey, payload, attempts, orderId, merchantId, null);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final Pool pool;
  private final Clock clock;
  private final EngineConfig config;
  private final String instanceId;
  private final Map<String, Handler> handlers;
  /** The kinds whose rows are claimed with their order. */
  private final String[] kindsReadingOrder;
  private final Map<Long, Future<Void>> running = new HashMap<>();
  /**
   * Rows claimed as they were queued, waiting for a slot ({@link #CLAIMED_WAITING_MAX} in both): an order change's
   * first, as they carry on work a buyer has paid for; the others (the sandbox's notices, a provider's work done
   * here) behind them.
   */
  private final ArrayDeque<Row> waiting = new ArrayDeque<>();
  private final ArrayDeque<Row> waitingBehind = new ArrayDeque<>();
  /** Finished rows waiting for the next done mark; claims leave them out like running ones. */
  private final List<Long> finished = new ArrayList<>();
  /** Rows to run again soon, by id, until when (System.nanoTime); see {@link #rerunSoon}. */
  private final Map<Long, Long> rerunUntil = new HashMap<>();
  /** Done marks under way, with their rows (left out of claims too). */
  private final Map<Future<Void>, List<Long>> marking = new HashMap<>();
  private long flushTimerId = -1;
  private final Counter done;
  private final Counter retried;
  private final Counter failed;
  private final OutageLog outage = new OutageLog(LOG, "outbox");
  private boolean started;
  private boolean stopping;
  private Future<Void> claim = Future.succeededFuture();
  private boolean claiming;
  /** A poll was asked for while a claim ran. */
  private boolean pollAgain;
  /** The last claim took as many rows as it could, or none could be taken: due rows may be waiting. */
  private boolean backlog;
  private long timerId = -1;

  public OutboxDispatcher(Vertx vertx, Pool pool, Clock clock, EngineConfig config, String instanceId,
      Map<String, Handler> handlers, MeterRegistry meters) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.context = vertx.getOrCreateContext();
    this.pool = Objects.requireNonNull(pool, "pool");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.config = Objects.requireNonNull(config, "config");
    this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
    this.handlers = Map.copyOf(handlers);
    this.kindsReadingOrder = this.handlers.entrySet().stream().filter(entry -> entry.getValue().readsOrder())
        .map(Map.Entry::getKey).sorted().toArray(String[]::new);
    this.done = Counter.builder("keyhold.outbox.rows").tag("result", "done").register(meters);
    this.retried = Counter.builder("keyhold.outbox.rows").tag("result", "retried").register(meters);
    this.failed = Counter.builder("keyhold.outbox.rows").tag("result", "failed").register(meters);
  }

  /** The instance this dispatcher claims rows for. */
  String instanceId() {
    return instanceId;
  }

  /** Starts polling. */
  public void start() {
    context.runOnContext(v -> {
      started = true;
      poll();
    });
  }

  /** Asks for a poll soon (new rows were committed); harmless when stopped. */
  public void wake() {
    context.runOnContext(v -> {
      if (started && !stopping) {
        cancelTimer();
        poll();
      }
    });
  }

  /**
   * Runs rows this instance claimed in the statement that queued them (the change that stored {@code order}, as
   * stored; null for rows queued otherwise), now that it committed: at once when there is room, else as slots free;
   * the lease they were written with keeps other instances off them meanwhile.
   */
  public void runClaimed(StoredOrder order, List<ClaimedEffect> claimed) {
    List<Row> rows = rows(order, claimed);
    context.runOnContext(v -> enqueue(rows, waiting));
  }

  /**
   * Runs rows of no order change this instance claimed in the statement that queued them, {@code delayMs} from now,
   * when they fall due; behind any waiting row of an order change.
   */
  public void runClaimedIn(long delayMs, List<ClaimedEffect> claimed) {
    List<Row> rows = rows(null, claimed);
    vertx.setTimer(Math.max(1, delayMs), id -> context.runOnContext(v -> enqueue(rows, waitingBehind)));
  }

  private static List<Row> rows(StoredOrder order, List<ClaimedEffect> claimed) {
    return claimed.stream().map(row -> new Row(row.id(), row.kind(), row.idempotencyKey(), row.payload(), 1,
        row.orderId(), row.merchantId(), order)).toList();
  }

  private void enqueue(List<Row> rows, ArrayDeque<Row> queue) {
    List<Row> back = new ArrayList<>();
    for (Row row : rows) {
      if (stopping) {
        back.add(row);
        continue;
      }
      if (waiting.size() + waitingBehind.size() >= CLAIMED_WAITING_MAX && queue == waiting
          && !waitingBehind.isEmpty()) {
        // Full: an order change's row takes the place of the last one behind, which goes back to the table.
        back.add(waitingBehind.pollLast());
      }
      if (waiting.size() + waitingBehind.size() < CLAIMED_WAITING_MAX) {
        queue.add(row);
      } else {
        back.add(row);
      }
    }
    runWaiting();
    if (!back.isEmpty()) {
      giveBack(back).onComplete(given -> poll());
    }
  }

  private void runWaiting() {
    while (running.size() < config.outboxConcurrencyMax() && (!waiting.isEmpty() || !waitingBehind.isEmpty())) {
      run(waiting.isEmpty() ? waitingBehind.poll() : waiting.poll());
    }
  }

  /** Asks for a poll {@code delayMs} from now (rows were committed that fall due then); harmless when stopped. */
  public void wakeIn(long delayMs) {
    vertx.setTimer(Math.max(1, delayMs), id -> wake());
  }

  /**
   * Stops claiming and waits up to {@code graceMs} for the effects running now to finish and be
   * recorded; rows not finished by then come back to any instance when their lease ends.
   */
  public Future<Void> stop(long graceMs) {
    Promise<Void> stopped = Promise.promise();
    context.runOnContext(v -> {
      stopping = true;
      cancelTimer();
      // The claim under way (its rows are given back) and the rows waiting first, then the effects under way.
      List<Row> unstarted = new ArrayList<>(waiting);
      unstarted.addAll(waitingBehind);
      waiting.clear();
      waitingBehind.clear();
      claim.transform(ignored -> giveBack(unstarted))
          .transform(ignored -> Future.join(new ArrayList<>(running.values())))
          .transform(ignored -> flush())
          .transform(ignored -> Future.join(new ArrayList<>(marking.keySet())))
          .timeout(Math.max(1, graceMs), TimeUnit.MILLISECONDS)
          .onComplete(ignored -> stopped.complete());
    });
    return stopped.future();
  }

  private void poll() {
    if (stopping) {
      return;
    }
    if (claiming) {
      // Rows committed while a claim runs may be invisible to it: one more claim follows it.
      pollAgain = true;
      return;
    }
    runWaiting();
    int room = Math.min(config.outboxBatchMax(), config.outboxConcurrencyMax() - running.size());
    if (room <= 0) {
      // A running row finishing polls again.
      backlog = true;
      return;
    }
    claiming = true;
    pollAgain = false;
    claim = claim(room).transform(claimed -> {
      claiming = false;
      if (claimed.failed()) {
        if (!outage.outage(claimed.cause())) {
          LOG.warn("claiming outbox rows failed: {}", claimed.cause().toString());
        }
        schedule(config.outboxIntervalMs());
        return Future.succeededFuture();
      }
      List<Row> rows = claimed.result();
      if (outage.succeeded()) {
        takeBackOwnClaims(rows);
      }
      if (stopping) {
        return giveBack(rows);
      }
      rows.forEach(this::run);
      // A full claim may have left due rows behind; a claim that found fewer than it could take left none.
      backlog = rows.size() == room;
      if (backlog || pollAgain) {
        poll();
      } else {
        schedule(config.outboxIntervalMs());
      }
      return Future.succeededFuture();
    });
  }

  private Future<List<Row>> claim(int max) {
    Instant now = clock.instant();
    Long[] busy = held().toArray(new Long[0]);
    return pool.preparedQuery(CLAIM).execute(Tuple.tuple()
            .addOffsetDateTime(now.atOffset(ZoneOffset.UTC)).addInteger(max)
            .addOffsetDateTime(now.plusMillis(config.outboxLeaseMs()).atOffset(ZoneOffset.UTC))
            .addArrayOfLong(busy).addString(instanceId).addArrayOfString(kindsReadingOrder))
        .map(rows -> {
          List<Row> claimed = new ArrayList<>(rows.rowCount());
          for (io.vertx.sqlclient.Row row : rows) {
            StoredOrder order = row.getValue("data") == null ? null : orderOf(row);
            claimed.add(new Row(row.getLong("row_id"), row.getString("kind"), row.getString("idempotency_key"),
                row.getJsonObject("payload"), row.getInteger("attempts"), row.getString("row_order_id"),
                row.getString("row_merchant_id"), order));
          }
          return claimed;
        });
  }

  /**
   * The rows this dispatcher holds: running, waiting for a slot, finished and waiting for (or under) a done mark, or to
   * be run again soon. Claims leave them out, and an outage's take-back leaves them alone.
   */
  private List<Long> held() {
    List<Long> held = new ArrayList<>(running.keySet());
    waiting.forEach(row -> held.add(row.id()));
    waitingBehind.forEach(row -> held.add(row.id()));
    held.addAll(finished);
    held.addAll(rerunUntil.keySet());
    marking.values().forEach(held::addAll);
    return held;
  }

  /**
   * The order a claimed row came with; null when it cannot be restored, so that its handler reads it itself and
   * fails alone, not the claim with every batch-mate in it.
   */
  private static StoredOrder orderOf(io.vertx.sqlclient.Row row) {
    try {
      return OrderStore.toStored(row);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * After an outage: rows this instance claimed whose claim committed but whose answer was lost with the
   * connection are not running here, yet hidden from every claim until their lease ends (a minute), and the
   * heartbeat does not hand them back, this instance being alive. They are made due again at once.
   */
  private void takeBackOwnClaims(List<Row> justClaimed) {
    List<Long> busy = held();
    justClaimed.forEach(row -> busy.add(row.id()));
    pool.preparedQuery(TAKE_BACK).execute(Tuple.tuple().addString(instanceId)
            .addArrayOfLong(busy.toArray(new Long[0])).addOffsetDateTime(clock.instant().atOffset(ZoneOffset.UTC)))
        .onSuccess(rows -> {
          if (rows.rowCount() > 0) {
            LOG.info("outbox: took back {} rows claimed before the outage and not running here", rows.rowCount());
            poll();
          }
        })
        .onFailure(failure -> LOG.warn("outbox: taking back rows claimed before the outage failed (they return when"
            + " their lease ends): {}", failure.toString()));
  }

  private Future<Void> giveBack(List<Row> rows) {
    if (rows.isEmpty()) {
      return Future.succeededFuture();
    }
    Long[] ids = rows.stream().map(Row::id).toArray(Long[]::new);
    return pool.preparedQuery(GIVE_BACK)
        .execute(Tuple.tuple().addArrayOfLong(ids).addOffsetDateTime(clock.instant().atOffset(ZoneOffset.UTC)))
        .<Void>mapEmpty()
        .recover(failure -> {
          LOG.warn("giving back {} outbox rows failed (they return when their lease ends): {}", ids.length,
              failure.toString());
          return Future.succeededFuture();
        });
  }

  private void run(Row row) {
    Handler handler = handlers.get(row.kind());
    Future<Void> result;
    if (handler == null) {
      result = Future.failedFuture(new IllegalStateException("no handler for outbox kind '" + row.kind() + "'"));
    } else {
      try {
        // An effect may finish on another event loop (a shop's answer, an adapter a request built); what
        // follows it touches this dispatcher's state, so it comes back here.
        result = ContextFutures.on(context, handler.run(row));
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      // A handler that never answers must not hold its slot past the lease.
      result = result.timeout(Math.max(1, config.outboxLeaseMs() / 2), TimeUnit.MILLISECONDS);
    }
    Future<Void> recorded = result.transform(outcome -> record(row, outcome.failed() ? outcome.cause() : null))
        .transform(written -> {
          if (written.failed() && outage.outage(written.cause())) {
            rerunSoon(row);
            return Future.<Void>succeededFuture();
          }
          rerunUntil.remove(row.id());
          if (written.failed()) {
            LOG.warn("recording outbox row {} failed: {}", row.id(), written.cause().toString());
          }
          return Future.<Void>succeededFuture();
        });
    running.put(row.id(), recorded);
    recorded.onComplete(v -> {
      running.remove(row.id());
      // A slot came free: for a row waiting, else worth a claim only when the last one left due rows behind.
      if (!stopping) {
        runWaiting();
        if (backlog) {
          poll();
        }
      }
    });
  }

  /**
   * A row whose outcome could not be recorded because the database was away: its claim is still this
   * instance's, so it runs again {@link #DONE_RETRY_MS} later (effects are idempotent) rather than wait for
   * its lease; for half a lease at most, after which the lease brings it back as before.
   */
  private void rerunSoon(Row row) {
    long until = rerunUntil.computeIfAbsent(row.id(),
        id -> System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.outboxLeaseMs() / 2));
    if (stopping || System.nanoTime() > until) {
      rerunUntil.remove(row.id());
      return;
    }
    vertx.setTimer(DONE_RETRY_MS, timer -> {
      if (!stopping && rerunUntil.containsKey(row.id())) {
        run(row.withoutOrder());
      } else {
        rerunUntil.remove(row.id());
      }
    });
  }

  private Future<Void> record(Row row, Throwable failure) {
    if (failure == null) {
      done.increment();
      markDone(row.id());
      return Future.succeededFuture();
    }
    Instant now = clock.instant();
    String error = describe(failure);
    if (row.attempts() >= config.outboxAttemptsMax()) {
      failed.increment();
      LOG.error("outbox row {} ({} of order {}) failed for good after {} attempts: {}", row.id(), row.kind(),
          row.orderId(), row.attempts(), error);
      return pool.preparedQuery(FAILED).execute(Tuple.of(row.id(), now.atOffset(ZoneOffset.UTC), error)).mapEmpty();
    }
    retried.increment();
    Duration pause = OutboxBackoff.afterFailure(Duration.ofMillis(config.outboxBackoffBaseMs()),
        Duration.ofMillis(config.outboxBackoffMaxMs()), row.attempts());
    // Early failures are routine (a shop briefly down); a row still failing halfway to its limit is worth a look.
    if (row.attempts() * 2 >= config.outboxAttemptsMax()) {
      LOG.warn("outbox row {} ({} of order {}) attempt {} failed, next in {} ms: {}", row.id(), row.kind(),
          row.orderId(), row.attempts(), pause.toMillis(), error);
    } else {
      LOG.debug("outbox row {} ({} of order {}) attempt {} failed, next in {} ms: {}", row.id(), row.kind(),
          row.orderId(), row.attempts(), pause.toMillis(), error);
    }
    return pool.preparedQuery(RETRY).execute(Tuple.of(row.id(), now.plus(pause).atOffset(ZoneOffset.UTC), error))
        .mapEmpty();
  }

  /** Queues a finished row for the next done mark; a full batch goes at once, else within {@link #DONE_FLUSH_MS}. */
  private void markDone(long id) {
    finished.add(id);
    if (finished.size() >= DONE_BATCH_MAX) {
      flush();
    } else if (flushTimerId < 0) {
      flushTimerId = vertx.setTimer(DONE_FLUSH_MS, timer -> {
        flushTimerId = -1;
        flush();
      });
    }
  }

  /**
   * Marks the finished rows done in one statement. A failed mark (the database away) keeps the rows for another
   * mark {@link #DONE_RETRY_MS} later, up to {@link #DONE_KEPT_MAX}; rows beyond that, or left by a stop, come back
   * when their lease ends and their effects, being idempotent, run once more.
   */
  private Future<Void> flush() {
    if (flushTimerId >= 0) {
      vertx.cancelTimer(flushTimerId);
      flushTimerId = -1;
    }
    if (finished.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Long> batch = new ArrayList<>(finished);
    finished.clear();
    Long[] ids = batch.toArray(new Long[0]);
    Future<Void> marked = pool.preparedQuery(DONE)
        .execute(Tuple.tuple().addArrayOfLong(ids).addOffsetDateTime(clock.instant().atOffset(ZoneOffset.UTC)))
        .<Void>mapEmpty()
        .recover(failure -> {
          if (!stopping && finished.size() + batch.size() <= DONE_KEPT_MAX) {
            // Their effects ran: mark them again soon rather than run them all once more after the lease.
            finished.addAll(batch);
            if (flushTimerId < 0) {
              flushTimerId = vertx.setTimer(DONE_RETRY_MS, timer -> {
                flushTimerId = -1;
                flush();
              });
            }
            if (!outage.outage(failure)) {
              LOG.warn("marking {} outbox rows done failed; trying again in {} ms: {}", ids.length, DONE_RETRY_MS,
                  failure.toString());
            }
            return Future.succeededFuture();
          }
          if (outage.outage(failure)) {
            return Future.succeededFuture();
          }
          LOG.warn("marking {} outbox rows done failed (they run again when their lease ends): {}", ids.length,
              failure.toString());
          return Future.succeededFuture();
        });
    marking.put(marked, batch);
    marked.onComplete(ignored -> marking.remove(marked));
    return marked;
  }

  /** The failure for the row: class and message, which by the adapters' rules never hold a key or secret. */
  static String describe(Throwable failure) {
    String message = failure.getMessage();
    String text = failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    return text.length() <= ERROR_LENGTH_MAX ? text : text.substring(0, ERROR_LENGTH_MAX);
  }

  private void schedule(long delayMs) {
    if (stopping || timerId >= 0) {
      return;
    }
    timerId = vertx.setTimer(delayMs, id -> {
      timerId = -1;
      poll();
    });
  }

  private void cancelTimer() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }
}
