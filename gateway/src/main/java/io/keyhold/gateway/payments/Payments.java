package io.keyhold.gateway.payments;

import io.keyhold.escrow.Effect;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.Outcome;
import io.keyhold.escrow.PaymentRecord;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.db.Ids;
import io.keyhold.gateway.http.ProblemCode;
import io.keyhold.gateway.http.ProblemException;
import io.keyhold.gateway.orders.OrderStore;
import io.keyhold.gateway.orders.StoredOrder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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
  /**
   * Counts the notice and claims the payment for this handler unless it is applied already or another
   * handler holds an unexpired claim. Answers the row's use and whether this handler holds the claim.
   */
  private static final String CLAIM = "INSERT INTO payments AS p (provider, provider_txn_id, merchant_id, order_id,"
      + " amount_minor, currency, use, received_at, claim_token, claimed_until)"
      + " VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9)"
      + " ON CONFLICT (provider, provider_txn_id) DO UPDATE SET notices = p.notices + 1,"
      + " claim_token = CASE WHEN (p.use IS NULL OR p.use = 'rejected')"
      + " AND (p.claimed_until IS NULL OR p.claimed_until < $7) THEN excluded.claim_token ELSE p.claim_token END,"
      + " claimed_until = CASE WHEN (p.use IS NULL OR p.use = 'rejected')"
      + " AND (p.claimed_until IS NULL OR p.claimed_until < $7) THEN excluded.claimed_until ELSE p.claimed_until END"
      + " RETURNING p.use, p.claim_token IS NOT DISTINCT FROM $8 AS mine";
  private static final String USE = "SELECT use, claimed_until FROM payments WHERE provider = $1 AND provider_txn_id = $2";
  private static final String SETTLE = "UPDATE payments SET use = $3, claim_token = NULL, claimed_until = NULL"
      + " WHERE provider = $1 AND provider_txn_id = $2";
  private static final String UNCLAIM = "UPDATE payments SET claim_token = NULL, claimed_until = NULL"
      + " WHERE provider = $1 AND provider_txn_id = $2 AND claim_token = $3";
  /** How long one handler may hold a payment before a repeat of its notice may take over. */
  public static final Duration CLAIM_LEASE = Duration.ofSeconds(30);
  /** How long a repeated notice waits for the handler holding its payment, and how often it looks. */
  public static final Duration WAIT_FOR_CLAIM = Duration.ofSeconds(10);
  public static final long WAIT_POLL_MS = 50;
  private static final String SET_RESERVATION = "UPDATE orders SET reservation_id = $3, reserved_until = $4"
      + " WHERE merchant_id = $1 AND id = $2";
  private static final String RECORD_REFUND = "INSERT INTO refunds (idempotency_key, provider, provider_txn_id,"
      + " merchant_id, order_id, amount_minor, currency, reason, provider_ref, created_at)"
      + " SELECT $1, p.provider, p.provider_txn_id, p.merchant_id, p.order_id, $4, $5, $6, $7, $8 FROM payments p"
      + " WHERE p.provider = $2 AND p.provider_txn_id = $3 ON CONFLICT (idempotency_key) DO NOTHING";

  /**
   * Reserves stock again for an order whose payment came after it expired.
   */
  public interface StockCheck {
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
  private final Map<String, PaymentProvider> providers;
  private final MeterRegistry meters;

  public Payments(Vertx vertx, OrderStore orders, Pool pool, StockCheck stock, List<PaymentProvider> providers,
      MeterRegistry meters) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.orders = Objects.requireNonNull(orders, "orders");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.stock = Objects.requireNonNull(stock, "stock");
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
   * Handles one notice. Succeeds for every authentic notice, applied or repeated; fails with 404
   * for an unknown provider, 401 {@code bad_signature} for a notice that is not authentic (counted in
   * {@value #NOTICES_REJECTED_METRIC} and logged, one line each), and with
   * the store's failure when the database could not record it (the provider then sends it again).
   */
  public Future<Void> notice(String providerId, MultiMap headers, Buffer body) {
    PaymentProvider provider = providers.get(providerId);
    if (provider == null) {
      return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND, "No such payment provider"));
    }
    return provider.readNotice(headers, body)
        .recover(failure -> Future.failedFuture(failure instanceof NoticeRejectedException rejected
            ? rejected(providerId, rejected)
            : failure))
        .compose(notice -> notice.status() == PaymentNotice.Status.SUCCEEDED
            ? received(providerId, notice)
            : Future.succeededFuture());
  }

  /**
   * Counts and logs a notice that is not authentic (someone probing or forging, or a provider whose secret
   * changed), by provider and reason only: never its signature or body.
   */
  private ProblemException rejected(String providerId, NoticeRejectedException rejected) {
    Counter.builder(NOTICES_REJECTED_METRIC)
        .description("Payment notices refused as not authentic or unreadable, by provider and reason")
        .tags("provider", providerId, "reason", rejected.reason())
        .register(meters)
        .increment();
    LOG.warn("refused a payment notice to provider {}: {} ({})", providerId, rejected.reason(), rejected.getMessage());
    return new ProblemException(ProblemCode.BAD_SIGNATURE, rejected.getMessage());
  }

  private Future<Void> received(String providerId, PaymentNotice notice) {
    String paymentId = paymentId(providerId, notice.transactionId());
    return orders.load(notice.orderId()).compose(order -> {
      if (order == null) {
        // Money with no order to hold it: an operator must return it by hand.
        LOG.error("payment {} names order {}, which does not exist; it was not recorded", paymentId, notice.orderId());
        return Future.succeededFuture();
      }
      String token = Ids.newId("clm");
      Instant now = orders.now();
      Tuple claim = Tuple.tuple().addString(providerId).addString(notice.transactionId())
          .addString(order.merchantId()).addString(order.id()).addLong(notice.amount().minorUnits())
          .addString(notice.amount().currency().getCurrencyCode()).addOffsetDateTime(now.atOffset(ZoneOffset.UTC))
          .addString(token).addOffsetDateTime(now.plus(CLAIM_LEASE).atOffset(ZoneOffset.UTC));
      return pool.preparedQuery(CLAIM).execute(claim).compose(rows -> {
        Row row = rows.iterator().next();
        if (row.getBoolean("mine")) {
          return handle(providerId, notice, paymentId, order)
              .onFailure(failure -> pool.preparedQuery(UNCLAIM)
                  .execute(Tuple.of(providerId, notice.transactionId(), token)));
        }
        if (row.getString("use") != null && !"rejected".equals(row.getString("use"))) {
          return Future.succeededFuture();
        }
        // The same payment is being applied right now (a repeated notice arriving at once): answer with its outcome.
        return awaitOutcome(providerId, notice.transactionId(), Instant.now().plus(WAIT_FOR_CLAIM));
      });
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
            return Future.failedFuture(new ProblemException(ProblemCode.OVERLOADED,
                "This payment is being applied; send the notice again later"));
          }
          return awaitOutcome(providerId, transactionId, giveUpAt);
        });
  }

  /** Applies a payment this handler holds the claim of; re-reads the order, since the claim may have waited. */
  private Future<Void> handle(String providerId, PaymentNotice notice, String paymentId, StoredOrder loaded) {
    return orders.load(loaded.id()).compose(order -> {
      boolean known = order.order().payments().stream().anyMatch(p -> p.paymentId().equals(paymentId));
      boolean late = !known && order.order().wouldFulfilLatePayment(notice.amount());
      Future<StockCheck.Reserved> reserved = late
          ? stock.reserveAgain(order, orders.now()).recover(failure -> {
            LOG.warn("stock for late payment of order {} could not be reserved: {}", order.id(), failure.toString());
            return Future.succeededFuture(null);
          })
          : Future.succeededFuture(null);
      return reserved.compose(reservation -> apply(providerId, notice, paymentId, reservation)
          .compose(applied -> afterwards(order, providerId, notice, paymentId, reservation, applied)));
    });
  }

  private Future<OrderStore.Applied> apply(String providerId, PaymentNotice notice, String paymentId,
      StockCheck.Reserved reservation) {
    return orders.apply(notice.orderId(), null, (tx, current, now) -> {
      OrderEvent.PaymentReceived event =
          new OrderEvent.PaymentReceived(paymentId, notice.amount(), reservation != null);
      Outcome preview = current.order().on(event, now);
      String use = preview instanceof Transition transition ? useOf(transition.order(), paymentId) : "rejected";
      boolean fundsExpired = current.order().state() == OrderState.EXPIRED && "funded".equals(use);
      Future<?> row = settle(tx, providerId, notice, use);
      Future<?> held = fundsExpired && reservation != null
          ? tx.preparedQuery(SET_RESERVATION).execute(Tuple.of(current.merchantId(), current.id(),
              reservation.reservationId(), reservation.until().atOffset(ZoneOffset.UTC)))
          : Future.succeededFuture();
      return Future.all(row, held).map(done -> List.<OrderEvent>of(event));
    });
  }

  private Future<Void> afterwards(StoredOrder order, String providerId, PaymentNotice notice, String paymentId,
      StockCheck.Reserved reservation, OrderStore.Applied applied) {
    Future<Void> recorded = Future.succeededFuture();
    if (applied.rejection() != null) {
      LOG.warn("order {} refused payment {}: {}", notice.orderId(), paymentId, applied.rejection().code().code());
      recorded = settle(pool, providerId, notice, "rejected").mapEmpty();
    }
    boolean used = applied.changed() && applied.before().order().state() == OrderState.EXPIRED
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
    return provider.refund(new RefundRequest(effect.idempotencyKey(), transactionId, effect.orderId(), amount,
            effect.reason().code()))
        .compose(reference -> pool.preparedQuery(RECORD_REFUND).execute(Tuple.tuple()
            .addString(effect.idempotencyKey()).addString(provider.id()).addString(transactionId)
            .addLong(amount.minorUnits()).addString(amount.currency().getCurrencyCode())
            .addString(effect.reason().code()).addString(reference)
            .addOffsetDateTime(orders.now().atOffset(ZoneOffset.UTC))))
        .mapEmpty();
  }

  public Future<Void> close() {
    return Future.join(providers.values().stream().map(PaymentProvider::close).toList()).mapEmpty();
  }
}
