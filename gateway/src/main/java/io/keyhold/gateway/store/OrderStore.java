package io.keyhold.gateway.store;

import io.keyhold.escrow.Effect;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.Outcome;
import io.keyhold.escrow.Rejection;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.crypto.SecretHasher;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orders' one transaction path: load the order, let escrow-core decide the events that arrived
 * together ({@link Order#onAll}, once), store the {@link Transition} in ONE transaction
 * ({@link OrderRows}), then announce it ({@link OrderChanges}).
 *
 * <p>Concurrency is optimistic: an order is read without a lock; the update names the version read;
 * when another transaction moved the order first, the work is rolled back and redone from a fresh
 * read, at most {@value #CONFLICT_ATTEMPTS_MAX} times, then fails with the conflict. A caller that
 * already holds the order ({@link #apply(StoredOrder, Decision)}) spends no read on the first attempt, and
 * neither does one whose order this instance changed or read lately: the last state of each such order is kept
 * ({@value #RECENT_ORDERS_MAX} orders, each for {@link #RECENT_REUSE}) and decided on first, the version check
 * guarding it as it guards any earlier read. An order another instance moved since costs one update that writes
 * nothing, and the change is decided again on a fresh read at once.
 *
 * <pre>{@code
 * store.apply(orderId, new OrderEvent.Reveal())          // Future<Outcome>
 * store.apply(orderId, merchantId, (tx, current, now) -> ...extra writes in tx...
 *     .map(done -> List.of(event)))                       // Future<Applied>
 * }</pre>
 */
public final class OrderStore {
  /** Reads and retries of one change when other transactions keep moving the order first. */
  public static final int CONFLICT_ATTEMPTS_MAX = 8;
  /** The longest pause between two attempts after a conflict. */
  public static final long CONFLICT_BACKOFF_MS_MAX = 20;
  /**
   * Orders whose last known state is kept to decide their next change on without reading them first. An order is
   * ~2 KB, so the cache stays under ~8 MB; a flash sale's orders change every few seconds until they are done.
   */
  public static final int RECENT_ORDERS_MAX = 4_096;
  /** How long a kept order is decided on before it is read again (an order still moving is kept afresh). */
  public static final Duration RECENT_REUSE = Duration.ofSeconds(30);

  /**
   * Orders whose buyer token hash is kept in memory, at most. An order's token never changes, so a kept hash never
   * goes stale; a buyer following an order asks many times, and each ask would otherwise read it again. Only orders
   * found are kept, so unknown ids cannot fill the cache.
   */
  public static final int TOKEN_HASHES_MAX = 20_000;
  /** A hash not used for this long leaves the cache (the order's buyer has stopped looking). */
  public static final Duration TOKEN_HASH_IDLE_MAX = Duration.ofMinutes(30);

  private static final Logger LOG = LoggerFactory.getLogger(OrderStore.class);

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final OrderChanges changes;
  /** The last state this instance stored or read of orders changed lately (see {@link #RECENT_ORDERS_MAX}). */
  private final Cache<String, StoredOrder> recent;
  /** Buyer token hashes by order (see {@link #TOKEN_HASHES_MAX}). */
  private final Cache<String, byte[]> tokenHashes;
  /** Who claims the outbox rows of changes as they are stored (see {@link #claimEffectsAs}); null: nobody. */
  private final AtomicReference<EffectClaimer> claimer;

  public OrderStore(Vertx vertx, Pool pool, Clock clock, OrderChanges changes) {
    this(vertx, pool, clock, changes,
        Caffeine.newBuilder().maximumSize(RECENT_ORDERS_MAX).expireAfterWrite(RECENT_REUSE).build(),
        Caffeine.newBuilder().maximumSize(TOKEN_HASHES_MAX).expireAfterAccess(TOKEN_HASH_IDLE_MAX).build(),
        new AtomicReference<>());
  }

  private OrderStore(Vertx vertx, Pool pool, Clock clock, OrderChanges changes, Cache<String, StoredOrder> recent,
      Cache<String, byte[]> tokenHashes, AtomicReference<EffectClaimer> claimer) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.changes = Objects.requireNonNull(changes, "changes");
    this.recent = Objects.requireNonNull(recent, "recent");
    this.tokenHashes = Objects.requireNonNull(tokenHashes, "tokenHashes");
    this.claimer = Objects.requireNonNull(claimer, "claimer");
  }

  /** The same store working through {@code other} (the order engine's own pool); what it keeps is shared. */
  public OrderStore using(Pool other) {
    return new OrderStore(vertx, other, clock, changes, recent, tokenHashes, claimer);
  }

  public Pool pool() {
    return pool;
  }

  public Clock clock() {
    return clock;
  }

  public OrderChanges changes() {
    return changes;
  }

  /**
   * From now on, the outbox rows a change queues (those due at once) are claimed for {@code instanceId} in the
   * statement that stores the change, leased for {@code lease}, and announced with it
   * ({@link OrderChanges#listenClaimed}): the instance that committed the change runs them at once, with no claim
   * statement. Should it die first, they return to any instance as the rows of a dead instance do.
   */
  public void claimEffectsAs(String instanceId, Duration lease) {
    Objects.requireNonNull(instanceId, "instanceId");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive, but was " + lease);
    }
    claimer.set(new EffectClaimer(instanceId, lease));
  }

  /** Stops {@link #claimEffectsAs claiming} (the outbox is stopping): rows are queued for any instance's claim. */
  public void stopClaimingEffects() {
    claimer.set(null);
  }

  private record EffectClaimer(String instanceId, Duration lease) {}

  private OrderRows.Claimant claimant(Instant now) {
    EffectClaimer current = claimer.get();
    return current == null ? null : new OrderRows.Claimant(current.instanceId(), now.plus(current.lease()));
  }

  /** The clock's instant as escrow-core and PostgreSQL keep it (microseconds). */
  public Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  // ---- reading

  /** The order, or null when there is none with this id. For internal flows (any merchant). */
  public Future<StoredOrder> load(String orderId) {
    return OrderRows.load(pool, orderId);
  }

  /** {@link #load(String)} through {@code client} (a transaction's connection). */
  public Future<StoredOrder> load(SqlClient client, String orderId) {
    return OrderRows.load(client, orderId);
  }

  /** The merchant's order, or null when it has none with this id (another merchant's order is not found). */
  public Future<StoredOrder> load(String orderId, String merchantId) {
    return OrderRows.load(pool, orderId, merchantId);
  }

  /** {@link #load(String, String)} through {@code client}. */
  public Future<StoredOrder> load(SqlClient client, String orderId, String merchantId) {
    return OrderRows.load(client, orderId, merchantId);
  }

  /**
   * Whether {@code token} is the order's buyer token — false alike for "no such order" and "wrong token" (hashes
   * compared in constant time). The order's token hash is kept in memory once known (an order placed here is known
   * from the start, see {@link #announcePlaced}), else read.
   */
  public Future<Boolean> buyerTokenMatches(String orderId, String token) {
    if (token == null || token.isEmpty() || token.length() > OrderTokens.TOKEN_LENGTH_MAX) {
      return Future.succeededFuture(false);
    }
    byte[] known = tokenHashes.getIfPresent(orderId);
    Future<byte[]> hash = known != null ? Future.succeededFuture(known)
        : OrderRows.tokenHash(pool, orderId).map(found -> {
          if (found != null) {
            tokenHashes.put(orderId, found);
          }
          return found;
        });
    return hash.map(expected -> expected != null && SecretHasher.matches(token, expected));
  }

  /**
   * What a payment for the order needs, when {@code token} is its buyer token ({@link #buyerTokenMatches}), else
   * null. These never change in an order's life, so an order this instance keeps answers them without a read.
   */
  public Future<Payable> payableForBuyer(String orderId, String token) {
    return buyerTokenMatches(orderId, token).compose(matches -> {
      if (!matches) {
        return Future.succeededFuture(null);
      }
      StoredOrder kept = recent.getIfPresent(orderId);
      return (kept != null ? Future.succeededFuture(kept) : OrderRows.load(pool, orderId))
          .map(stored -> stored == null ? null : new Payable(stored.merchantId(), stored.id(), stored.order().total()));
    });
  }

  /** An order as a payment for it sees it: whose it is and what it costs in all. */
  public record Payable(String merchantId, String orderId, Money total) {
    public Payable {
      Objects.requireNonNull(merchantId, "merchantId");
      Objects.requireNonNull(orderId, "orderId");
      Objects.requireNonNull(total, "total");
    }
  }

  /**
   * The order columns {@link #toStored} restores from, each prefixed with {@code alias} (a query's name for
   * {@code orders}), for a query that reads an order together with rows beside it.
   */
  public static String columns(String alias) {
    return Arrays.stream(OrderRows.COLUMNS.split(",\\s*")).map(column -> alias + "." + column)
        .collect(Collectors.joining(", "));
  }

  /** Restores a row selected with the order columns ({@code merchant_id, id, adapter_type, ..., data}). */
  public static StoredOrder toStored(Row row) {
    return OrderRows.toStored(row);
  }

  // ---- placing

  /**
   * Stores a newly placed order ({@link Order#place}) in one statement through {@code client} (the pool: the statement
   * is atomic on its own): the row, its units and its first evidence event, with what must be written with it —
   * {@code riders} (reading {@code written}) and, when not null, a {@code gate} that goes first and lets the order be
   * stored only when it answers a row. A closed gate fails the future with its {@link Gate#shut} failure, nothing of
   * the order stored. Call {@link #announcePlaced} once it succeeded.
   */
  public Future<Void> insert(SqlClient client, Transition placed, NewOrderRow row, Gate gate, List<Rider> riders) {
    return OrderRows.insert(client, placed, row, gate, riders).compose(stored -> {
      if (stored) {
        if (gate != null) {
          gate.passed().run();
        }
        return Future.<Void>succeededFuture();
      }
      if (gate == null) {
        return Future.failedFuture(new IllegalStateException("order " + placed.order().id() + " was not stored"));
      }
      return Future.failedFuture(gate.shut().get());
    });
  }

  /**
   * A write that must succeed for a new order or a change to be stored, made first in the statement that stores it:
   * {@code sql} is one data-modifying statement with {@code RETURNING}, answering a row when the order may be stored,
   * with a {@code %s} where each of {@code args} goes, in order. {@code passed} runs once the statement stored a new
   * order; for a change, once the gate answered a row (its write is made even when the version check then fails, and
   * the change's retry must let the same request through again). {@code shut} is what the statement fails with when
   * the gate answered no row (then only the gate's own write, if any, was made).
   */
  public record Gate(String sql, List<Object> args, Runnable passed, Supplier<? extends RuntimeException> shut) {
    /** The gate's statement with its {@code %s} numbered from {@code first}, its arguments added to {@code params}. */
    String numbered(int first, Tuple params) {
      return numberedPart(sql, this.args, first, params);
    }

    public Gate {
      Objects.requireNonNull(sql, "sql");
      Objects.requireNonNull(passed, "passed");
      Objects.requireNonNull(shut, "shut");
      if (!sql.contains("RETURNING")) {
        throw new IllegalArgumentException("a gate must answer a row when it lets the order through");
      }
      args = List.copyOf(args);
    }
  }

  /**
   * What the gateway keeps beside a new order.
   *
   * @param tokenHash SHA-256 of the buyer's order token
   * @param buyerRef the shop's buyer reference, or null
   * @param adapterType the merchant's adapter type
   * @param reservationId the checkout reservation, or null
   * @param reservedUntil when it lapses, or null
   */
  public record NewOrderRow(byte[] tokenHash, String buyerRef, String adapterType, String reservationId,
      Instant reservedUntil) {
    public NewOrderRow {
      Objects.requireNonNull(tokenHash, "tokenHash");
      Objects.requireNonNull(adapterType, "adapterType");
    }
  }

  // ---- changing

  /**
   * Works out the events to apply, inside the transaction that will store them. {@code tx} may be
   * used for writes that belong with the change (a delivered key, a payment row); they roll back
   * with it. Answer no events to change nothing. Runs again from scratch after a version conflict.
   */
  @FunctionalInterface
  public interface Decision {
    Future<List<OrderEvent>> decide(SqlClient tx, StoredOrder current, Instant now);

    /**
     * Writes that follow from what escrow-core decided (not called for a rejection), in the same
     * transaction; answers the order as the gateway keeps it, which may carry a new reservation.
     */
    default Future<StoredOrder> decided(SqlClient tx, StoredOrder before, StoredOrder after, Transition change) {
      return Future.succeededFuture(after);
    }

    /**
     * False for a decision that writes nothing of its own: its change is then stored by one statement,
     * atomic by itself, with no transaction around the read and the write (the version check guards them).
     */
    default boolean transactional() {
      return true;
    }

    /**
     * A write of this decision's that belongs with the change and is made by the statement that stores it, exactly when
     * it stores it (not for a duplicate, which stores nothing): see {@link Rider}. Null: none. A decision whose only
     * write of its own is its rider need no transaction ({@link #transactional}).
     */
    default Rider rider(StoredOrder before, Transition change) {
      return null;
    }

    /**
     * A write that must succeed for the change to be stored, made first in the statement that stores it (a buyer act's
     * Idempotency-Key claim): see {@link Gate}. Null: none. Not asked for a duplicate, which stores nothing.
     */
    default Gate gate() {
      return null;
    }

    /** Just these events: no writes of its own, so stored without a transaction. */
    static Decision events(List<OrderEvent> events) {
      return events(events, null);
    }

    /** Just these events, stored behind {@code gate} (null: none); no writes of its own. */
    static Decision events(List<OrderEvent> events, Gate gate) {
      List<OrderEvent> fixed = List.copyOf(events);
      return reading(current -> fixed, gate);
    }

    /** Events worked out from the order alone: no writes of its own, so stored without a transaction. */
    static Decision reading(Function<StoredOrder, List<OrderEvent>> events) {
      return reading(events, null);
    }

    private static Decision reading(Function<StoredOrder, List<OrderEvent>> events, Gate gate) {
      Objects.requireNonNull(events, "events");
      return new Decision() {
        @Override
        public Future<List<OrderEvent>> decide(SqlClient client, StoredOrder current, Instant now) {
          return Future.succeededFuture(events.apply(current));
        }

        @Override
        public boolean transactional() {
          return false;
        }

        @Override
        public Gate gate() {
          return gate;
        }
      };
    }
  }

  /**
   * {@code $first, $first+1, ...}: what each {@code %s} of a statement written with one per parameter becomes
   * ({@link Rider}, {@link Gate}, and the store's own statements).
   */
  public static Object[] placeholders(int first, int count) {
    Object[] names = new Object[count];
    for (int i = 0; i < count; i++) {
      names[i] = "$" + (first + i);
    }
    return names;
  }

  private static String numberedPart(String sql, List<Object> args, int first, Tuple params) {
    args.forEach(params::addValue);
    return sql.formatted(placeholders(first, args.size()));
  }

  /**
   * A write that rides with a change in the statement that stores it: {@code sql} is one data-modifying statement that
   * reads the stored order's row as {@code written} (so it writes nothing when the version check fails), with a
   * {@code %s} where each of {@code args} goes, in order. It must not fail once the change is stored: there is no
   * transaction to roll the change back.
   */
  public record Rider(String sql, List<Object> args) {
    /** The rider's statement with its {@code %s} numbered from {@code first}, its arguments added to {@code params}. */
    String numbered(int first, Tuple params) {
      return numberedPart(sql, this.args, first, params);
    }

    public Rider {
      Objects.requireNonNull(sql, "sql");
      if (!sql.contains("written")) {
        throw new IllegalArgumentException("a rider must read written, or it would write when the change does not");
      }
      args = List.copyOf(args);
    }
  }

  /**
   * What a change did.
   *
   * @param before the order as read (null when there is no such order)
   * @param after the order as stored (equal to {@code before} when nothing changed)
   * @param outcome a {@link Rejection} (nothing stored), or one {@link Transition} merging every event
   *     applied (postings, evidence and effects in order; {@code duplicate} when nothing changed)
   * @param claimed the outbox rows the change queued claimed for this instance as it was stored
   *     ({@link #claimEffectsAs}), to run once it commits
   * @param unclaimed how many other outbox rows it queued, for any instance's claim
   */
  public record Applied(StoredOrder before, StoredOrder after, Outcome outcome, List<ClaimedEffect> claimed,
      int unclaimed) {
    Applied(StoredOrder before, StoredOrder after, Outcome outcome) {
      this(before, after, outcome, List.of(), 0);
    }

    /** True when the order was found. */
    public boolean found() {
      return before != null;
    }

    /** True when a change was stored. */
    public boolean changed() {
      return outcome instanceof Transition transition && !transition.duplicate();
    }

    public Rejection rejection() {
      return outcome instanceof Rejection rejection ? rejection : null;
    }
  }

  /** Applies one event at the clock's now, in its own transaction; a missing order fails the future. */
  public Future<Outcome> apply(String orderId, OrderEvent event) {
    return apply(orderId, null, Decision.events(List.of(event))).compose(applied ->
        applied.found()
            ? Future.succeededFuture(applied.outcome())
            : Future.failedFuture(new OrderNotFoundException(orderId)));
  }

  /**
   * Loads the order (the merchant's, when {@code merchantId} is not null), asks {@code decision} for
   * events, lets escrow-core apply them as one change and stores it in one transaction; retries from
   * a fresh read after a version conflict. An order not found answers {@code Applied(null, null, null)}.
   * A rejection of any event rolls everything back, the decision's own writes included.
   */
  public Future<Applied> apply(String orderId, String merchantId, Decision decision) {
    StoredOrder kept = recent.getIfPresent(orderId);
    if (kept != null && (merchantId == null || merchantId.equals(kept.merchantId()))) {
      return attempt(orderId, merchantId, kept, decision, 1);
    }
    return attempt(orderId, merchantId, null, decision, 1);
  }

  /**
   * {@link #apply(String, String, Decision)} for an order the caller has just read: the first attempt
   * decides on {@code loaded} (the version check guards the change); only a conflict, a rejection or
   * a duplicate (which no version check confirms) reads the order again.
   */
  public Future<Applied> apply(StoredOrder loaded, Decision decision) {
    return attempt(loaded.id(), null, Objects.requireNonNull(loaded, "loaded"), decision, 1);
  }

  /**
   * {@link #apply(StoredOrder, Decision)} in the caller's transaction {@code tx}, decided once, on {@code loaded}:
   * fails, having stored nothing of the change, when the order moved since (a version conflict), when escrow-core
   * rejects the events, or when they change nothing — the caller rolls back and starts over on a fresh read. The
   * caller commits, then calls {@link #announce(Applied)}.
   */
  public Future<Applied> applyWithin(SqlClient tx, StoredOrder loaded, Decision decision) {
    Objects.requireNonNull(loaded, "loaded");
    return decideAndStore(tx, loaded.id(), null, loaded, decision).compose(applied -> applied.changed()
        ? Future.succeededFuture(applied)
        : Future.failedFuture(new Unconfirmed()));
  }

  /** Tells this instance's listeners of a change committed by {@link #applyWithin} (nothing for no change). */
  public void announce(Applied applied) {
    if (applied.changed()) {
      recent.put(applied.after().id(), applied.after());
      changes.announce(applied.after(), applied.claimed(), applied.unclaimed() > 0);
    }
  }

  private Future<Applied> decideAndStore(SqlClient tx, String orderId, String merchantId, StoredOrder loaded,
      Decision decision) {
    return (loaded != null ? Future.succeededFuture(loaded) : OrderRows.load(tx, orderId, merchantId))
        .compose(current -> {
          if (current == null) {
            return Future.succeededFuture(new Applied(null, null, null));
          }
          if (loaded == null) {
            recent.put(orderId, current);
          }
          Instant now = now();
          return decision.decide(tx, current, now).compose(events -> {
            Outcome outcome = current.order().onAll(events, now);
            if (outcome instanceof Rejection rejection) {
              return Future.failedFuture(new Rejected(rejection, current));
            }
            Transition change = (Transition) outcome;
            if (change.duplicate() && loaded != null) {
              return Future.failedFuture(new Unconfirmed());
            }
            return decision.decided(tx, current, current.with(change.order()), change)
                .compose(after -> store(tx, current, after, change, now,
                        change.duplicate() ? null : decision.rider(current, change), decision.gate()).map(written ->
                    new Applied(current, after, change, written.claimed(), written.unclaimed())));
          });
        });
  }

  private Future<Applied> attempt(String orderId, String merchantId, StoredOrder loaded, Decision decision,
      int attempt) {
    Function<SqlClient, Future<Applied>> work = tx -> decideAndStore(tx, orderId, merchantId, loaded, decision);
    Future<Applied> stored = decision.transactional() ? pool.withTransaction(work::apply) : work.apply(pool);
    return stored.recover(failure -> {
      if (loaded != null && (failure instanceof Unconfirmed || failure instanceof Rejected
          || failure instanceof OrderRows.VersionConflict)) {
        // Decided on an earlier read (the caller's, or one kept): decide again on a fresh one, at once.
        recent.invalidate(orderId);
        return attempt(orderId, merchantId, null, decision, attempt);
      }
      if (failure instanceof Rejected rejected) {
        return Future.succeededFuture(new Applied(rejected.current, rejected.current, rejected.rejection));
      }
      if (failure instanceof OrderRows.VersionConflict && attempt < CONFLICT_ATTEMPTS_MAX) {
        long pauseMs = 1 + ThreadLocalRandom.current().nextLong(Math.min(CONFLICT_BACKOFF_MS_MAX, 2L * attempt));
        LOG.debug("order {} changed under attempt {}; retrying in {} ms", orderId, attempt, pauseMs);
        return vertx.timer(pauseMs).compose(ignored -> attempt(orderId, merchantId, null, decision, attempt + 1));
      }
      return Future.failedFuture(failure);
    }).onSuccess(this::announce);
  }

  /** Writes a decided change: nothing for a duplicate, else the order's rows and a new reservation. */
  private Future<OrderRows.Written> store(SqlClient tx, StoredOrder before, StoredOrder after, Transition change,
      Instant now, Rider rider, Gate gate) {
    Future<OrderRows.Written> order = change.duplicate() ? Future.succeededFuture(OrderRows.Written.NOTHING)
        : OrderRows.write(tx, before.order(), withoutNeedlessEffects(after, change), now, claimant(now), rider, gate);
    boolean reserved = !Objects.equals(before.reservationId(), after.reservationId())
        || !Objects.equals(before.reservedUntil(), after.reservedUntil());
    // Only a transactional decision's own writes (its decided hook) make a new reservation.
    return reserved ? order.compose(written -> OrderRows.writeReservation(tx, after).map(written)) : order;
  }

  /**
   * Writes the change from {@code before} to {@code change.order()} through {@code tx} (see
   * {@link OrderRows#write}); fails when the row was not at {@code before}'s version. For callers
   * that decide many orders in one transaction (the sweeper); the caller commits, then calls
   * {@link #announce}.
   */
  public Future<Void> persist(SqlClient tx, StoredOrder before, Transition change, Instant now) {
    return OrderRows.write(tx, before.order(), withoutNeedlessEffects(before.with(change.order()), change), now, null,
        null, null).mapEmpty();
  }

  /**
   * The change without the effects that would do nothing for the order it leaves: the release of a stock
   * reservation its deliveries used up ({@link StoredOrder#reservationUsedUpByStock}; a release comes with a
   * settlement or an expiry, after which no unit changes), and a delivery request for units that hold a delivery
   * already (keys taken in the same change, as a payment on the gateway's stock does; a unit's deliveries only
   * grow, and the request's handler asks only for units that never had one). Decided on the order as written, which
   * the effect would read or find moved further; not queued, it costs no outbox row, no claim and no done mark.
   */
  public static Transition withoutNeedlessEffects(StoredOrder after, Transition change) {
    List<Effect> needed = change.effects().stream().filter(effect -> !needless(after, effect)).toList();
    if (needed.size() == change.effects().size()) {
      return change;
    }
    return new Transition(change.order(), change.postings(), change.evidence(), needed, change.duplicate(),
        change.from());
  }

  private static boolean needless(StoredOrder after, Effect effect) {
    if (effect instanceof Effect.ReleaseReservation) {
      return after.reservationUsedUpByStock();
    }
    if (effect instanceof Effect.RequestDelivery request) {
      return request.units().stream().allMatch(unit -> after.order().units().get(unit).deliveries() > 0);
    }
    return false;
  }

  /**
   * Announces a change committed outside {@link #apply} (after its transaction committed); the order's kept state,
   * if any, is dropped, {@code order} lacking the gateway's columns beside it.
   */
  public void announce(Order order) {
    recent.invalidate(order.id());
    changes.announce(order);
  }

  /**
   * Announces an order just placed and committed ({@link #insert}) with its buyer token's hash: its next change is
   * decided, and its buyer's first request checked, without a read.
   */
  public void announcePlaced(StoredOrder placed, byte[] tokenHash) {
    recent.put(placed.id(), placed);
    tokenHashes.put(placed.id(), tokenHash.clone());
    // A placed order queues no outbox rows (see insert).
    changes.announce(placed.order(), false);
  }

  /** No order with this id. */
  public static final class OrderNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OrderNotFoundException(String orderId) {
      super("no order " + orderId, null, false, false);
    }
  }

  /** Carries a rejection out of the transaction, rolling it back. */
  private static final class Rejected extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Rejection rejection;
    private final transient StoredOrder current;

    Rejected(Rejection rejection, StoredOrder current) {
      super(rejection.code().code(), null, false, false);
      this.rejection = rejection;
      this.current = current;
    }
  }

  /** A duplicate decided on an order read before the transaction: confirm it on a fresh read. */
  private static final class Unconfirmed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unconfirmed() {
      super("duplicate on an earlier read", null, false, false);
    }
  }
}
