package io.keyhold.gateway.engine;

import io.keyhold.escrow.EffectKind;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.Outcome;
import io.keyhold.escrow.Rejection;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.adapters.SandboxProvider;
import io.keyhold.gateway.store.DatabaseLocation;
import io.keyhold.gateway.store.DatabaseOutage;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.StockVault;
import io.keyhold.gateway.store.StoredOrder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deadline sweeper every gateway instance runs. Each sweep claims due orders
 * ({@code next_action_at <= now}, in deadline order) to which the gateway owes no work (see
 * {@link #OWED_KINDS}: its own lateness, after a crash or at peak, is never the shop's or the buyer's
 * fault) with {@code FOR UPDATE SKIP LOCKED} in a bounded
 * batch, gives each {@code DeadlineReached} and stores every transition in that one transaction, so
 * any number of instances share the work without handling an order twice. A batch that fails is
 * rolled back and its orders are retried one transaction each, so one bad order cannot hold the
 * others back. A full batch sweeps again at once; otherwise the next sweep waits
 * {@link EngineConfig#sweepIntervalMs()}.
 *
 * <p>Each sweep also returns expired stock reservations to the stock and purges expired
 * Idempotency-Key records, both in bounded batches.
 *
 * <p>Time is the store's clock: tests move it rather than wait.
 */
public final class Sweeper {
  /** Deletes expired records kept for retries (the API's Idempotency-Key records); answers how many. */
  @FunctionalInterface
  public interface Purge {
    Future<Integer> purgeExpired(int batchMax);
  }

  private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);
  /** Counter of what deadlines did, tagged {@code evidence} (an evidence type: a fixed, small set). */
  public static final String DEADLINES_METRIC = "keyhold.deadlines.fired";
  /**
   * Outbox kinds that are work the gateway owes an order before its deadline can judge anyone: asking the
   * shop (or the stock vault, or a backup source) for keys, checking a key, and the sandbox provider's notice of a
   * payment made.
   */
  static final List<String> OWED_KINDS = List.of(EffectKind.REQUEST_DELIVERY.code(),
      EffectKind.REQUEST_REPLACEMENT.code(), EffectKind.REQUEST_FROM_BACKUP.code(), EffectKind.VALIDATE_UNIT.code(),
      SandboxProvider.NOTICE_KIND);
  /**
   * A deadline waits while the gateway still owes the order work: an owed outbox row not yet tried or whose
   * tries have not failed yet (queued, running, or left by an instance that died), or a payment the provider
   * announced that is not applied yet. Once a try failed (the shop or validator did not answer), the deadline
   * judges as usual: that lateness is theirs.
   */
  private static final String NOTHING_OWED = " AND NOT EXISTS (SELECT 1 FROM outbox ob WHERE ob.order_id = o.id"
      + " AND ob.state = 'pending' AND ob.kind = ANY($3) AND (ob.last_error IS NULL OR ob.kind = $4))"
      + " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.merchant_id = o.merchant_id AND p.order_id = o.id"
      + " AND p.use IS NULL)";
  static final String CLAIM = "SELECT o.merchant_id, o.id, o.adapter_type, o.reservation_id,"
      + " o.reserved_until, o.buyer_ref, o.version, o.data FROM orders o WHERE o.next_action_at <= $1" + NOTHING_OWED
      + " ORDER BY o.next_action_at LIMIT $2 FOR UPDATE OF o SKIP LOCKED";
  private static final String CLAIM_ONE = "SELECT o.merchant_id, o.id, o.adapter_type, o.reservation_id,"
      + " o.reserved_until, o.buyer_ref, o.version, o.data FROM orders o WHERE o.next_action_at <= $1"
      + NOTHING_OWED + " AND o.id = $2 FOR UPDATE OF o SKIP LOCKED";
  private static final String[] OWED = OWED_KINDS.toArray(new String[0]);

  private final Context context;
  private final Pool pool;
  private final OrderStore orders;
  private final StockVault stock;
  private final Purge idempotency;
  private final EngineConfig config;
  private final Counter moved;
  private final MeterRegistry meters;
  private final OutageLog outage = new OutageLog(LOG, "sweeper");
  private final BatchLoop loop;
  private boolean started;

  public Sweeper(Vertx vertx, OrderStore orders, StockVault stock, Purge idempotency, EngineConfig config,
      MeterRegistry meters) {
    this.context = Objects.requireNonNull(vertx, "vertx").getOrCreateContext();
    this.orders = Objects.requireNonNull(orders, "orders");
    this.pool = orders.pool();
    this.stock = Objects.requireNonNull(stock, "stock");
    this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
    this.config = Objects.requireNonNull(config, "config");
    this.moved = Counter.builder("keyhold.sweeper.transitions").register(meters);
    this.meters = meters;
    this.loop = new BatchLoop(vertx, this::sweepOnce, config.sweepBatchMax(), config.sweepIntervalMs(),
        this::afterSweep);
  }

  public void start() {
    context.runOnContext(v -> {
      started = true;
      loop.start();
    });
  }

  /** Stops sweeping; completes when the sweep under way is stored (or after {@code graceMs}). */
  public Future<Void> stop(long graceMs) {
    return loop.stop(graceMs);
  }

  private void afterSweep(AsyncResult<Integer> swept) {
    if (swept.failed() && !outage.outage(swept.cause())) {
      LOG.warn("a sweep failed: {}", swept.cause().toString());
    } else if (swept.succeeded()) {
      outage.succeeded();
    }
  }

  /**
   * One sweep: due orders (one batch), expired reservations, expired idempotency records. Answers
   * how many orders changed.
   */
  public Future<Integer> sweepOnce() {
    Instant now = orders.now();
    Future<Integer> deadlines = sweepDeadlines(now);
    return deadlines
        .compose(claimed -> stock.releaseExpired(now.atOffset(ZoneOffset.UTC), config.sweepBatchMax())
            .recover(failure -> {
              if (!outage.outage(failure)) {
                LOG.warn("releasing expired reservations failed: {}", failure.toString());
              }
              return Future.succeededFuture(List.of());
            })
            .compose(released -> idempotency.purgeExpired(config.sweepBatchMax()).recover(failure -> {
              if (!outage.outage(failure)) {
                LOG.warn("purging idempotency records failed: {}", failure.toString());
              }
              return Future.succeededFuture(0);
            }))
            .map(claimed));
  }

  private Future<Integer> sweepDeadlines(Instant now) {
    List<Order> changed = new ArrayList<>();
    List<String> claimedIds = new ArrayList<>();
    // Planned with the values: made without them, the claim's plan reads every payment (see PLAN_WITH_VALUES).
    return pool.withTransaction(tx -> tx.query(DatabaseLocation.PLAN_WITH_VALUES).execute()
            .compose(planned -> tx.preparedQuery(CLAIM).execute(Tuple.of(now.atOffset(ZoneOffset.UTC),
                config.sweepBatchMax(), OWED, SandboxProvider.NOTICE_KIND)))
            .compose(rows -> {
              List<StoredOrder> claimed = new ArrayList<>();
              rows.forEach(row -> claimed.add(OrderStore.toStored(row)));
              return Deposits.lockAvailable(tx, compensating(claimed)).map(deposits -> Map.entry(claimed, deposits));
            })
            .compose(claimed -> {
              Map<String, Money> deposits = claimed.getValue();
              List<Future<Void>> writes = new ArrayList<>();
              for (StoredOrder stored : claimed.getKey()) {
                claimedIds.add(stored.id());
                Transition transition = due(stored, now, deposits);
                if (transition != null) {
                  writes.add(orders.persist(tx, stored, transition, now));
                  changed.add(transition.order());
                }
              }
              return Future.join(new ArrayList<Future<?>>(writes)).transform(joined -> {
                for (Future<Void> write : writes) {
                  if (write.failed()) {
                    return Future.failedFuture(write.cause());
                  }
                }
                // Orders that refused their deadline stay claimed-but-unchanged: they must not make a batch
                // look full, or the sweeper would spin on them.
                return Future.succeededFuture(changed.size());
              });
            }))
        .onSuccess(claimed -> announce(changed))
        .recover(failure -> {
          if (DatabaseOutage.isOutage(failure)) {
            // One by one would fail the same way; the next sweep tries again.
            return Future.failedFuture(failure);
          }
          LOG.warn("a sweep batch of {} orders failed ({}); retrying them one by one", claimedIds.size(),
              failure.toString());
          return oneByOne(claimedIds, now).map(claimedIds.size());
        });
  }

  private Future<Void> oneByOne(List<String> ids, Instant now) {
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      chain = chain.compose(ok -> sweepOne(id, now).recover(failure -> {
        LOG.error("the deadline of order {} could not be applied: {}", id, failure.toString());
        return Future.succeededFuture();
      }));
    }
    return chain;
  }

  private Future<Void> sweepOne(String orderId, Instant now) {
    List<Order> changed = new ArrayList<>();
    return pool.withTransaction((SqlConnection tx) -> tx.preparedQuery(CLAIM_ONE)
            .execute(Tuple.of(now.atOffset(ZoneOffset.UTC), orderId, OWED, SandboxProvider.NOTICE_KIND))
            .compose(rows -> {
              if (rows.size() == 0) {
                return Future.<Void>succeededFuture();
              }
              StoredOrder stored = OrderStore.toStored(rows.iterator().next());
              return Deposits.lockAvailable(tx, compensating(List.of(stored))).compose(deposits -> {
                Transition transition = due(stored, now, deposits);
                if (transition == null) {
                  return Future.<Void>succeededFuture();
                }
                changed.add(transition.order());
                return orders.persist(tx, stored, transition, now);
              });
            }))
        .onSuccess(ok -> announce(changed));
  }

  /**
   * The merchants whose deposits the claimed orders may draw compensation from: locked before any is decided, so
   * that what one order pays, no other order of the merchant (here or on another instance) pays again.
   */
  private static Set<String> compensating(List<StoredOrder> claimed) {
    Set<String> merchants = new TreeSet<>();
    for (StoredOrder stored : claimed) {
      if (stored.order().policy().compensation() != null) {
        merchants.add(stored.merchantId());
      }
    }
    return merchants;
  }

  /**
   * The order's transition for its deadline, or null when nothing is to store. {@code deposits} holds what each
   * locked deposit can still pay in this transaction, and is drawn down by what the transition pays.
   */
  private Transition due(StoredOrder stored, Instant now, Map<String, Money> deposits) {
    String merchantId = stored.merchantId();
    Outcome outcome = stored.order().on(new OrderEvent.DeadlineReached(deposits.get(merchantId)), now);
    if (outcome instanceof Rejection rejection) {
      LOG.warn("order {} refused its deadline at {}: {} ({})", stored.id(), now, rejection.code().code(),
          rejection.detail());
      return null;
    }
    Transition transition = (Transition) outcome;
    if (transition.duplicate()) {
      return null;
    }
    transition.evidence().forEach(event -> Counter.builder(DEADLINES_METRIC)
        .description("What deadlines did, by the evidence they recorded (expiries, replacements, time-outs, refunds)")
        .tag("evidence", event.type().code()).register(meters).increment());
    Money moved = Deposits.movedFrom(merchantId, transition.postings());
    if (moved != null) {
      deposits.put(merchantId, deposits.get(merchantId).plus(moved));
    }
    return transition;
  }

  private void announce(List<Order> changed) {
    moved.increment(changed.size());
    changed.forEach(orders::announce);
  }

  /** Whether {@link #start()} ran; for diagnostics. */
  public boolean started() {
    return started;
  }
}
