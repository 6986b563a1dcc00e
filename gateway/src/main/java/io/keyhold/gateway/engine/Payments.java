package io.keyhold.gateway.engine;

import io.keyhold.escrow.Effect;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.PaymentRecord;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.adapters.NoticeRejectedException;
import io.keyhold.gateway.adapters.PaymentNotice;
import io.keyhold.gateway.adapters.PaymentProvider;
import io.keyhold.gateway.adapters.PaymentStart;
import io.keyhold.gateway.adapters.PayoutRequest;
import io.keyhold.gateway.adapters.RefundRequest;
import io.keyhold.gateway.adapters.RefundUnavailableException;
import io.keyhold.gateway.store.Ids;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.StoredOrder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Payments in and out. A notice from a provider is verified by the provider, recorded once per
 * provider transaction in {@code payments} (repeats only count up {@code notices}) and given to its
 * order as {@code PaymentReceived} in the same transaction: whatever is repeated or reordered, one
 * payment funds one order once, and a second payment for a funded order is refunded by the order's
 * own rules. A payment after expiry first asks {@link StockCheck} whether stock can be reserved
 * again, so the order fulfils it or refunds it at once.
 *
 * <p>Escrow-core payment ids are {@code <provider>:<provider transaction id>}, so a refund finds its
 * provider again.
 */
public final class Payments {
  private static final Logger LOG = LoggerFactory.getLogger(Payments.class);
  /** Counter of notices refused as not authentic, tagged {@code provider} and {@code reason}. */
  public static final String NOTICES_REJECTED_METRIC = "keyhold.payment.notices.rejected";
  /** Counter of refunds sent to a provider, tagged {@code reason}. */
  public static final String REFUNDS_METRIC = "keyhold.refunds";
  /** Counter of compensation payouts sent to a provider. */
  public static final String COMPENSATIONS_METRIC = "keyhold.compensations.paid";
  /**
   * Counts the notice and claims the payment for this handler unless it is applied already or another
   * handler holds an unexpired claim. Answers the row's use, whether this handler holds the claim, and the order
   * (for the handler that holds it, who decides on it: read by the claim, it needs no read of its own); no row when
   * the order named does not exist.
   */
  private static final String CLAIM = "WITH claimed AS (INSERT INTO payments AS p (provider, provider_txn_id,"
      + " merchant_id, order_id, amount_minor, currency, use, received_at, claim_token, claimed_until, claimed_by)"
      + " SELECT $1, $2, o.merchant_id, o.id, $4, $5, NULL, $6, $7, $8, $9 FROM orders o WHERE o.id = $3"
      + " ON CONFLICT (provider, provider_txn_id) DO UPDATE SET notices = p.notices + 1,"
      + " claim_token = CASE WHEN (p.use IS NULL OR p.use = 'rejected')"
      + " AND (p.claimed_until IS NULL OR p.claimed_until < $6) THEN excluded.claim_token ELSE p.claim_token END,"
      + " claimed_until = CASE WHEN (p.use IS NULL OR p.use = 'rejected')"
      + " AND (p.claimed_until IS NULL OR p.claimed_until < $6) THEN excluded.claimed_until ELSE p.claimed_until END,"
      + " claimed_by = CASE WHEN (p.use IS NULL OR p.use = 'rejected')"
      + " AND (p.claimed_until IS NULL OR p.claimed_until < $6) THEN excluded.claimed_by ELSE p.claimed_by END"
      + " RETURNING p.use, p.claim_token IS NOT DISTINCT FROM $7 AS mine, p.merchant_id, p.order_id)"
      + " SELECT c.use, c.mine, " + OrderStore.columns("ord") + " FROM claimed c"
      + " LEFT JOIN orders ord ON c.mine AND ord.merchant_id = c.merchant_id AND ord.id = c.order_id";
  private static final String USE = "SELECT use, claimed_until FROM payments WHERE provider = $1 AND provider_txn_id = $2";
  /** What ends a handler's claim of a payment, in every statement that ends one. */
  private static final String ENDS_CLAIM = "claim_token = NULL, claimed_until = NULL, claimed_by = NULL";
  private static final String SETTLE = "UPDATE payments SET use = $3, " + ENDS_CLAIM
      + " WHERE provider = $1 AND provider_txn_id = $2";
  /**
   * {@link #SETTLE} riding with the order change that gave the order the payment, in the statement that stores it
   * ({@link OrderStore.Rider}): the payment's use and the end of its claim are stored exactly when the change is. The
   * payment row exists (the claim made it) and nothing else deletes it, so this write cannot fail on its own.
   */
  private static final String SETTLE_WITH_CHANGE = "UPDATE payments SET use = %s, " + ENDS_CLAIM
      + " FROM written WHERE provider = %s AND provider_txn_id = %s";
  private static final String UNCLAIM = "UPDATE payments SET " + ENDS_CLAIM
      + " WHERE provider = $1 AND provider_txn_id = $2 AND claim_token = $3";
  /**
   * How long one handler may hold a payment before a repeat of its notice may take over; a claim of an instance
   * that died is ended sooner, by the {@link Heartbeat} of another.
   */
  public static final Duration CLAIM_LEASE = Duration.ofSeconds(30);
  /** How long a repeated notice waits for the handler holding its payment, and how often it looks. */
  public static final Duration WAIT_FOR_CLAIM = Duration.ofSeconds(10);
  public static final long WAIT_POLL_MS = 50;
  private static final String RECORD_REFUND = "INSERT INTO refunds (idempotency_key, provider, provider_txn_id,"
      + " merchant_id, order_id, amount_minor, currency, reason, provider_ref, created_at)"
      + " SELECT $1, p.provider, p.provider_txn_id, p.merchant_id, p.order_id, $4, $5, $6, $7, $8 FROM payments p"
      + " WHERE p.provider = $2 AND p.provider_txn_id = $3 ON CONFLICT (idempotency_key) DO NOTHING";

  private static final String RECORD_PAYOUT = "INSERT INTO compensation_payouts (idempotency_key, provider,"
      + " provider_txn_id, merchant_id, order_id, amount_minor, currency, provider_ref, created_at)"
      + " SELECT $1, p.provider, p.provider_txn_id, p.merchant_id, p.order_id, $4, $5, $6, $7 FROM payments p"
      + " WHERE p.provider = $2 AND p.provider_txn_id = $3 ON CONFLICT (idempotency_key) DO NOTHING";
  private static final String START = "INSERT INTO payment_starts (provider, provider_txn_id, merchant_id, order_id,"
      + " amount_minor, currency, created_at, next_poll_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
  private static final String STARTED = "SELECT order_id, amount_minor, currency FROM payment_starts"
      + " WHERE provider = $1 AND provider_txn_id = $2";
  private static final String REFUSED_NOTICE = "UPDATE payment_starts SET refused_notices = refused_notices + 1,"
      + " last_refusal = $3 WHERE provider = $1 AND provider_txn_id = $2";
  /**
   * Claims a batch of due started payments, started before $2, in due order. One not yet applied and started after
   * $5 ({@link #POLL_AGE_MAX} ago) is to be asked about ({@code open}): it is due again after $3 seconds times the
   * polls so far (at most {@link #POLL_BACKOFF_STEPS_MAX} times), so a payment never paid is asked about less and less
   * often. Any other is done with and leaves the line for good (due at infinity): left due, every poll would walk past
   * all the payments applied in the last {@link #POLL_AGE_MAX} and all those abandoned ever (165 ms a poll at 230,000
   * starts).
   */
  private static final String CLAIM_POLLS = "WITH due AS (SELECT t.provider, t.provider_txn_id, t.created_at > $5"
      + " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.provider = t.provider"
      + " AND p.provider_txn_id = t.provider_txn_id AND p.use IS NOT NULL) AS open FROM payment_starts t"
      + " WHERE t.next_poll_at <= $1 AND t.created_at <= $2 ORDER BY t.next_poll_at LIMIT $4 FOR UPDATE SKIP LOCKED)"
      + " UPDATE payment_starts s SET polls = s.polls + due.open::int, next_poll_at = CASE WHEN due.open"
      + " THEN $1 + make_interval(secs => $3 * LEAST(s.polls + 1, " + Payments.POLL_BACKOFF_STEPS_MAX + "))"
      + " ELSE 'infinity' END FROM due WHERE s.provider = due.provider AND s.provider_txn_id = due.provider_txn_id"
      + " RETURNING due.open, s.provider, s.provider_txn_id, s.order_id, s.amount_minor, s.currency";
  private static final String RECORD_OWED = "INSERT INTO refunds_owed (idempotency_key, provider, provider_txn_id,"
      + " merchant_id, order_id, amount_minor, currency, reason, cause, created_at)"
      + " SELECT $1, p.provider, p.provider_txn_id, p.merchant_id, p.order_id, $4, $5, $6, $7, $8 FROM payments p"
      + " WHERE p.provider = $2 AND p.provider_txn_id = $3 ON CONFLICT (idempotency_key) DO NOTHING";
  private static final String OWED_REPORT = "SELECT idempotency_key, provider, provider_txn_id, merchant_id, order_id,"
      + " amount_minor, currency, reason, cause, created_at FROM refunds_owed ORDER BY created_at, idempotency_key"
      + " LIMIT $1";
  /** Started payments asked about per poll; a full batch polls again at once. */
  public static final int POLL_BATCH_MAX = 100;
  /** A payment is asked about at most this many poll periods apart. */
  public static final int POLL_BACKOFF_STEPS_MAX = 32;
  /** A payment started longer ago than this is not asked about any more (an operator looks at the site). */
  public static final Duration POLL_AGE_MAX = Duration.ofDays(2);
  /** The prefix of the ids of payments the gateway starts at a remote site. */
  public static final String STARTED_PREFIX = "kh";

  /** A payment started at a remote site: its id there, and where the buyer is sent to pay it. */
  public record Started(String providerId, String transactionId, String payUrl) {}

  /**
   * Reserves stock again for an order whose payment came after it expired.
   */
  public interface StockCheck {
    /**
     * Whether the order's own reservation still holds its stock now, so a late payment needs no new one; only
     * where the gateway keeps the stock itself (a remote shop is asked again: its hold is its word).
     */
    boolean stillHeld(StoredOrder order, Instant now);

    /** The new reservation, or null when no stock is free (or the shop cannot be asked now). */
    Future<Reserved> reserveAgain(StoredOrder order, Instant now);

    /** Gives a reservation back that the order did not use after all. */
    Future<Void> release(StoredOrder order, Reserved reserved);

    /** A reservation made for a late payment. */
    record Reserved(String reservationId, Instant until) {}
  }

  private final Vertx vertx;
  private final OrderStore orders;
  private final Pool pool;
  private final StockCheck stock;
  private final StockAtFunding atFunding;
  private final Map<String, PaymentProvider> providers;
  private final MeterRegistry meters;
  private final String instanceId;

  Payments(Vertx vertx, OrderStore orders, Pool pool, StockCheck stock, StockAtFunding atFunding,
      List<PaymentProvider> providers, MeterRegistry meters, String instanceId) {
    this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
    // Registered up front, so a dashboard shows 0 rather than "no data" before the first refund or payout.
    for (io.keyhold.escrow.RefundReason reason : io.keyhold.escrow.RefundReason.values()) {
      Counter.builder(REFUNDS_METRIC).tags("reason", reason.code()).register(meters);
    }
    Counter.builder(COMPENSATIONS_METRIC).register(meters);
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.orders = Objects.requireNonNull(orders, "orders");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.stock = Objects.requireNonNull(stock, "stock");
    this.atFunding = Objects.requireNonNull(atFunding, "atFunding");
    Map<String, PaymentProvider> byId = new TreeMap<>();
    for (PaymentProvider provider : providers) {
      if (byId.putIfAbsent(provider.id(), provider) != null) {
        throw new IllegalStateException("two payment providers claim id '" + provider.id() + "'");
      }
    }
    this.providers = Map.copyOf(byId);
  }

  /** The escrow-core payment id of a provider's transaction. */
  public static String paymentId(String providerId, String transactionId) {
    return providerId + ":" + transactionId;
  }

  public PaymentProvider provider(String id) {
    return providers.get(id);
  }

  /**
   * Handles one notice request: one notice, or several a provider sent together, applied in their order. Succeeds
   * for every authentic notice, applied or repeated; refuses an unknown provider ({@code NOT_FOUND}) and a notice
   * that is not authentic ({@code BAD_SIGNATURE}, counted in {@value #NOTICES_REJECTED_METRIC} and logged, one line
   * each); fails with the store's failure when the database could not record it (the provider then sends it again).
   */
  public Future<Void> notice(String providerId, MultiMap headers, Buffer body) {
    PaymentProvider provider = providers.get(providerId);
    if (provider == null) {
      return Future.failedFuture(Refusal.of(Refusal.Code.NOT_FOUND, "No such payment provider"));
    }
    return refusedIfRejected(providerId, provider.readNotices(headers, body)).compose(notices -> {
      // In the provider's order, one after another: a pending notice is read and changes nothing.
      Future<Void> applied = Future.succeededFuture();
      for (PaymentNotice notice : notices) {
        applied = applied.compose(previous -> applyNotice(providerId, provider, notice));
      }
      return applied;
    });
  }

  private Future<Void> applyNotice(String providerId, PaymentProvider provider, PaymentNotice notice) {
    Future<PaymentNotice> checked = provider.startsPayments() ? started(providerId, notice)
        : Future.succeededFuture(notice);
    return refusedIfRejected(providerId, checked).compose(authentic ->
        authentic.status() == PaymentNotice.Status.SUCCEEDED ? received(providerId, authentic)
            : Future.succeededFuture());
  }

  /** A notice the provider rejected becomes the refusal the API answers, counted and logged by {@link #rejected}. */
  private <T> Future<T> refusedIfRejected(String providerId, Future<T> read) {
    return read.recover(failure -> Future.failedFuture(failure instanceof NoticeRejectedException rejected
        ? rejected(providerId, rejected)
        : failure));
  }

  /**
   * Checks an authentic notice of a provider that starts payments against the payment the gateway started: the
   * same order, amount and currency, or it is refused (a site with a leaked key, a tampered notice, or a payment
   * this gateway never started) and the refusal is recorded on the payment.
   */
  private Future<PaymentNotice> started(String providerId, PaymentNotice notice) {
    return pool.preparedQuery(STARTED).execute(Tuple.of(providerId, notice.transactionId())).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new NoticeRejectedException("unknown_payment",
            "the notice names a payment this gateway did not start"));
      }
      Row row = rows.iterator().next();
      String reason = !row.getString("order_id").equals(notice.orderId()) ? "order_mismatch"
          : !Money.of(row.getLong("amount_minor"), row.getString("currency")).equals(notice.amount())
              ? "amount_mismatch" : null;
      if (reason == null) {
        return Future.succeededFuture(notice);
      }
      return pool.preparedQuery(REFUSED_NOTICE).execute(Tuple.of(providerId, notice.transactionId(), reason))
          .compose(recorded -> Future.failedFuture(new NoticeRejectedException(reason,
              "the notice is for another " + (reason.equals("order_mismatch") ? "order" : "amount")
                  + " than the payment started")));
    });
  }

  /**
   * Starts a payment of the order's total at a provider that starts payments, recorded first so its notice is
   * known when it comes; answers where the buyer is sent to pay.
   */
  public Future<Started> start(String providerId, OrderStore.Payable order, String notifyUrl, String returnUrl) {
    PaymentProvider provider = providers.get(providerId);
    if (provider == null || !provider.startsPayments()) {
      return Future.failedFuture(Refusal.of(Refusal.Code.NOT_FOUND, "No such payment provider"));
    }
    String transactionId = Ids.newId(STARTED_PREFIX).replace("_", "");
    Money amount = order.total();
    Instant now = orders.now();
    Tuple row = Tuple.tuple().addString(providerId).addString(transactionId).addString(order.merchantId())
        .addString(order.orderId()).addLong(amount.minorUnits()).addString(amount.currency().getCurrencyCode())
        .addOffsetDateTime(now.atOffset(ZoneOffset.UTC)).addOffsetDateTime(now.atOffset(ZoneOffset.UTC));
    PaymentStart start = new PaymentStart(transactionId, order.orderId(), amount, "Keyhold " + order.orderId(),
        notifyUrl, returnUrl);
    return pool.preparedQuery(START).execute(row)
        .compose(stored -> provider.start(start))
        .map(url -> new Started(providerId, transactionId, url));
  }

  /**
   * One query poll: claims up to {@link #POLL_BATCH_MAX} due payments started over {@code afterMs} ago, asks each
   * one's provider about those not yet applied, and applies each found paid like its notice. Answers how many were
   * claimed (a full batch: poll again at once), those done with included; a provider that could not be asked is asked
   * again at the next due time.
   */
  public Future<Integer> pollOnce(long afterMs) {
    Instant now = orders.now();
    Tuple claim = Tuple.tuple().addOffsetDateTime(now.atOffset(ZoneOffset.UTC))
        .addOffsetDateTime(now.minusMillis(afterMs).atOffset(ZoneOffset.UTC))
        .addDouble(afterMs / 1000.0).addInteger(POLL_BATCH_MAX)
        .addOffsetDateTime(now.minus(POLL_AGE_MAX).atOffset(ZoneOffset.UTC));
    return pool.preparedQuery(CLAIM_POLLS).execute(claim).compose(rows -> {
      List<Future<Void>> asked = new ArrayList<>();
      for (Row row : rows) {
        if (row.getBoolean("open")) {
          asked.add(poll(row));
        }
      }
      return Future.join(asked).map(rows.size()).otherwise(rows.size());
    });
  }

  private Future<Void> poll(Row row) {
    String providerId = row.getString("provider");
    PaymentProvider provider = providers.get(providerId);
    if (provider == null) {
      return Future.succeededFuture();
    }
    Money amount = Money.of(row.getLong("amount_minor"), row.getString("currency"));
    PaymentStart start = new PaymentStart(row.getString("provider_txn_id"), row.getString("order_id"), amount,
        "Keyhold " + row.getString("order_id"), "-", null);
    return provider.query(start)
        .compose(notice -> notice == null || notice.status() != PaymentNotice.Status.SUCCEEDED
            ? Future.<Void>succeededFuture()
            : started(providerId, notice).compose(checked -> {
              LOG.info("payment {} found paid by the query poll; its notice never came", paymentId(providerId,
                  checked.transactionId()));
              return received(providerId, checked);
            }))
        .recover(failure -> {
          Throwable shown = failure instanceof NoticeRejectedException rejected
              ? rejected(providerId, rejected) : failure;
          LOG.warn("asking provider {} about payment {} failed: {}", providerId, start.transactionId(),
              shown.getMessage());
          return Future.succeededFuture();
        });
  }

  /**
   * Counts and logs a notice that is not authentic (someone probing or forging, or a provider whose secret
   * changed), by provider and reason only: never its signature or body.
   */
  private Refusal rejected(String providerId, NoticeRejectedException rejected) {
    Counter.builder(NOTICES_REJECTED_METRIC)
        .description("Payment notices refused as not authentic or unreadable, by provider and reason")
        .tags("provider", providerId, "reason", rejected.reason())
        .register(meters)
        .increment();
    LOG.warn("refused a payment notice to provider {}: {} ({})", providerId, rejected.reason(), rejected.getMessage());
    return Refusal.of(Refusal.Code.BAD_SIGNATURE, rejected.getMessage());
  }

  private Future<Void> received(String providerId, PaymentNotice notice) {
    String paymentId = paymentId(providerId, notice.transactionId());
    String token = Ids.newId("clm");
    Instant now = orders.now();
    Tuple claim = Tuple.tuple().addString(providerId).addString(notice.transactionId()).addString(notice.orderId())
        .addLong(notice.amount().minorUnits()).addString(notice.amount().currency().getCurrencyCode())
        .addOffsetDateTime(now.atOffset(ZoneOffset.UTC)).addString(token)
        .addOffsetDateTime(now.plus(CLAIM_LEASE).atOffset(ZoneOffset.UTC)).addString(instanceId);
    return pool.preparedQuery(CLAIM).execute(claim).compose(rows -> {
      if (rows.size() == 0) {
        // Money with no order to hold it: an operator must return it by hand.
        LOG.error("payment {} names order {}, which does not exist; it was not recorded", paymentId, notice.orderId());
        return Future.succeededFuture();
      }
      Row row = rows.iterator().next();
      if (row.getBoolean("mine")) {
        // Decoded and handled inside the future, so that whatever fails ends the claim.
        return Future.succeededFuture(row).map(OrderStore::toStored)
            .compose(order -> handle(providerId, notice, paymentId, order))
            .onFailure(failure -> pool.preparedQuery(UNCLAIM)
                .execute(Tuple.of(providerId, notice.transactionId(), token)));
      }
      if (row.getString("use") != null && !"rejected".equals(row.getString("use"))) {
        return Future.succeededFuture();
      }
      // The same payment is being applied right now (a repeated notice arriving at once): answer with its outcome.
      return awaitOutcome(providerId, notice.transactionId(), Instant.now().plus(WAIT_FOR_CLAIM));
    });
  }

  private Future<Void> awaitOutcome(String providerId, String transactionId, Instant giveUpAt) {
    return vertx.timer(WAIT_POLL_MS).compose(ignored -> pool.preparedQuery(USE)
        .execute(Tuple.of(providerId, transactionId))).compose(rows -> {
          String use = rows.iterator().next().getString("use");
          if (use != null) {
            return Future.succeededFuture();
          }
          if (Instant.now().isAfter(giveUpAt)) {
            return Future.failedFuture(Refusal.of(Refusal.Code.BUSY,
                "This payment is being applied; send the notice again later"));
          }
          return awaitOutcome(providerId, transactionId, giveUpAt);
        });
  }

  /**
   * Applies a payment this handler holds the claim of, to {@code order} as the claim read it: it decides whether
   * stock must be reserved again, and the change is decided on it (a conflict reads again).
   */
  private Future<Void> handle(String providerId, PaymentNotice notice, String paymentId, StoredOrder order) {
    boolean known = order.order().payments().stream().anyMatch(p -> p.paymentId().equals(paymentId));
    Instant now = orders.now();
    Instant paidAt = notice.paidAt() == null || notice.paidAt().isAfter(now) ? now : notice.paidAt();
    boolean late = !known && order.order().wouldFulfilLatePayment(notice.amount(), paidAt);
    boolean stillHeld = late && stock.stillHeld(order, now);
    Future<StockCheck.Reserved> reserved = late && !stillHeld
        ? stock.reserveAgain(order, now).recover(failure -> {
          LOG.warn("stock for late payment of order {} could not be reserved: {}", order.id(), failure.toString());
          return Future.succeededFuture(null);
        })
        : Future.succeededFuture(null);
    // An order paid in time on the gateway's stock gets its keys in the change that funds it (StockAtFunding).
    Future<StockAtFunding.Prepared> prepared = known || late ? Future.succeededFuture(null) : atFunding.prepare(order);
    return reserved.compose(reservation -> prepared.compose(delivery -> applyDelivering(order, providerId, notice,
            paymentId, reservation, stillHeld || reservation != null, delivery))
        .compose(applied -> afterwards(order, providerId, notice, paymentId, reservation, applied)));
  }

  /**
   * {@link #apply} with the order's keys delivered in the same change when {@code delivery} is prepared. Should that
   * change fail or be refused (the stock could not serve the order at once), the payment is applied alone, and the
   * delivery request it queues takes the keys: the money never waits on the stock.
   */
  private Future<OrderStore.Applied> applyDelivering(StoredOrder order, String providerId, PaymentNotice notice,
      String paymentId, StockCheck.Reserved reservation, boolean stockReservable, StockAtFunding.Prepared delivery) {
    if (delivery == null) {
      return apply(order, providerId, notice, paymentId, reservation, stockReservable, null);
    }
    return apply(order, providerId, notice, paymentId, reservation, stockReservable, delivery)
        .transform(merged -> {
          if (merged.succeeded() && merged.result().rejection() == null) {
            return Future.succeededFuture(merged.result());
          }
          LOG.info("order {} is funded without its keys, which follow by a delivery request: {}", order.id(),
              merged.succeeded() ? merged.result().rejection().code().code() : merged.cause().toString());
          return apply(order, providerId, notice, paymentId, reservation, stockReservable, null);
        });
  }


  /**
   * Gives the payment to its order; in the same transaction records what the order did with it and,
   * when it funds an expired order, keeps the new reservation on the order.
   */
  private Future<OrderStore.Applied> apply(StoredOrder order, String providerId, PaymentNotice notice,
      String paymentId, StockCheck.Reserved reservation, boolean stockReservable, StockAtFunding.Prepared delivery) {
    OrderEvent event = new OrderEvent.PaymentReceived(paymentId, notice.amount(), stockReservable, notice.paidAt());
    return orders.apply(order, new OrderStore.Decision() {
      @Override
      public Future<List<OrderEvent>> decide(SqlClient tx, StoredOrder current, Instant now) {
        if (delivery == null
            || !(current.order().on(event, now) instanceof Transition funding) || funding.duplicate()
            || funding.from() != OrderState.AWAITING_PAYMENT || funding.order().state() != OrderState.FUNDED) {
          return Future.succeededFuture(List.of(event));
        }
        return atFunding.deliverWithin(tx, current.with(funding.order()), now, delivery).map(delivered -> {
          List<OrderEvent> events = new ArrayList<>(1 + delivered.size());
          events.add(event);
          events.addAll(delivered);
          return events;
        });
      }

      @Override
      public Future<StoredOrder> decided(SqlClient tx, StoredOrder before, StoredOrder after, Transition change) {
        String use = useOf(change.order(), paymentId);
        // A change stores the payment's use with itself (the rider); a duplicate stores nothing, so it is written here.
        Future<?> settled = change.duplicate() ? settle(tx, providerId, notice, use) : Future.succeededFuture();
        // A late payment funds the order on the reservation made for it.
        boolean fundsLate = before.order().fundedAt() == null && "funded".equals(use);
        return settled.map(done -> fundsLate && reservation != null
            ? after.reservedAgain(reservation.reservationId(), reservation.until())
            : after);
      }

      @Override
      public OrderStore.Rider rider(StoredOrder before, Transition change) {
        return new OrderStore.Rider(SETTLE_WITH_CHANGE,
            List.of(useOf(change.order(), paymentId), providerId, notice.transactionId()));
      }

      /** A new reservation, or keys taken and stored, are writes of their own beside the rider: one transaction. */
      @Override
      public boolean transactional() {
        return reservation != null || delivery != null;
      }
    });
  }

  private Future<Void> afterwards(StoredOrder order, String providerId, PaymentNotice notice, String paymentId,
      StockCheck.Reserved reservation, OrderStore.Applied applied) {
    Future<Void> recorded = Future.succeededFuture();
    if (applied.rejection() != null) {
      LOG.warn("order {} refused payment {}: {}", notice.orderId(), paymentId, applied.rejection().code().code());
      recorded = settle(pool, providerId, notice, "rejected").mapEmpty();
    }
    boolean used = applied.changed() && applied.before().order().fundedAt() == null
        && applied.after().order().fundedAt() != null;
    if (reservation != null && !used) {
      return recorded.compose(ok -> stock.release(order, reservation).recover(failure -> {
        LOG.warn("a late-payment reservation of order {} could not be released: {}", order.id(), failure.toString());
        return Future.succeededFuture();
      }));
    }
    return recorded;
  }

  /** Records what the order did with the payment and ends the claim, in {@code client}'s transaction. */
  private static Future<?> settle(SqlClient client, String providerId, PaymentNotice notice, String use) {
    return client.preparedQuery(SETTLE).execute(Tuple.of(providerId, notice.transactionId(), use));
  }

  private static String useOf(Order order, String paymentId) {
    return order.payments().stream().filter(p -> p.paymentId().equals(paymentId)).map(PaymentRecord::use)
        .map(use -> use.code()).findFirst().orElse("rejected");
  }

  /** Carries out a refund effect through the payment's provider and records it once. */
  public Future<Void> refund(Effect.RefundPayment effect) {
    String paymentId = effect.paymentId();
    int split = paymentId.indexOf(':');
    PaymentProvider provider = split < 0 ? null : providers.get(paymentId.substring(0, split));
    if (provider == null) {
      return Future.failedFuture(new IllegalStateException("payment " + paymentId + " names no known provider"));
    }
    String transactionId = paymentId.substring(split + 1);
    Money amount = effect.amount();
    Counter.builder(REFUNDS_METRIC).description("Refunds sent to providers, by reason (tries, not distinct refunds)")
        .tags("reason", effect.reason().code()).register(meters).increment();
    return provider.refund(new RefundRequest(effect.idempotencyKey(), transactionId, effect.orderId(), amount,
            effect.reason().code()))
        .compose(reference -> pool.preparedQuery(RECORD_REFUND).execute(Tuple.tuple()
            .addString(effect.idempotencyKey()).addString(provider.id()).addString(transactionId)
            .addLong(amount.minorUnits()).addString(amount.currency().getCurrencyCode())
            .addString(effect.reason().code()).addString(reference)
            .addOffsetDateTime(orders.now().atOffset(ZoneOffset.UTC))))
        .<Void>mapEmpty()
        .recover(failure -> failure instanceof RefundUnavailableException unavailable
            ? owed(effect, provider.id(), transactionId, unavailable)
            : Future.failedFuture(failure));
  }

  /**
   * Records a refund the provider cannot make as owed by the operator (the refunds-owed report and the order's
   * evidence show it): asking again would not change the answer, and dropping it would be a silent loss.
   */
  private Future<Void> owed(Effect.RefundPayment effect, String providerId, String transactionId,
      RefundUnavailableException unavailable) {
    LOG.warn("refund {} of payment {} for order {} is owed by the operator: {} ({})", effect.idempotencyKey(),
        paymentId(providerId, transactionId), effect.orderId(), unavailable.code(), unavailable.getMessage());
    return pool.preparedQuery(RECORD_OWED).execute(Tuple.tuple()
            .addString(effect.idempotencyKey()).addString(providerId).addString(transactionId)
            .addLong(effect.amount().minorUnits()).addString(effect.amount().currency().getCurrencyCode())
            .addString(effect.reason().code()).addString(unavailable.code())
            .addOffsetDateTime(orders.now().atOffset(ZoneOffset.UTC)))
        .mapEmpty();
  }

  /** Pays compensation through the provider of the payment whose payer is compensated, and records it once. */
  public Future<Void> payCompensation(Effect.PayCompensation effect) {
    String paymentId = effect.paymentId();
    int split = paymentId.indexOf(':');
    PaymentProvider provider = split < 0 ? null : providers.get(paymentId.substring(0, split));
    if (provider == null) {
      return Future.failedFuture(new IllegalStateException("payment " + paymentId + " names no known provider"));
    }
    String transactionId = paymentId.substring(split + 1);
    Money amount = effect.amount();
    Counter.builder(COMPENSATIONS_METRIC).description("Compensation payouts sent to providers (tries)").register(meters)
        .increment();
    return provider.payCompensation(new PayoutRequest(effect.idempotencyKey(), transactionId, effect.orderId(), amount))
        .compose(reference -> pool.preparedQuery(RECORD_PAYOUT).execute(Tuple.tuple()
            .addString(effect.idempotencyKey()).addString(provider.id()).addString(transactionId)
            .addLong(amount.minorUnits()).addString(amount.currency().getCurrencyCode()).addString(reference)
            .addOffsetDateTime(orders.now().atOffset(ZoneOffset.UTC))))
        .mapEmpty();
  }

  /** The refunds owed by the operator, oldest first, at most {@code limit}. */
  public Future<List<JsonObject>> refundsOwed(int limit) {
    return pool.preparedQuery(OWED_REPORT).execute(Tuple.of(limit)).map(rows -> {
      List<JsonObject> owed = new ArrayList<>();
      for (Row row : rows) {
        owed.add(new JsonObject()
            .put("refund_id", row.getString("idempotency_key"))
            .put("provider", row.getString("provider"))
            .put("provider_txn_id", row.getString("provider_txn_id"))
            .put("merchant_id", row.getString("merchant_id"))
            .put("order_id", row.getString("order_id"))
            .put("amount", new JsonObject().put("amount", row.getLong("amount_minor"))
                .put("currency", row.getString("currency")))
            .put("reason", row.getString("reason"))
            .put("cause", row.getString("cause"))
            .put("at", row.getOffsetDateTime("created_at").toInstant().toString()));
      }
      return owed;
    });
  }

  public Future<Void> close() {
    return Future.join(providers.values().stream().map(PaymentProvider::close).toList()).mapEmpty();
  }
}
