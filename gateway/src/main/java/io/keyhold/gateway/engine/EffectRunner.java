package io.keyhold.gateway.engine;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.Refusal;
import io.keyhold.adapters.spi.ReplaceReason;
import io.keyhold.adapters.spi.Reservation;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.escrow.Effect;
import io.keyhold.escrow.EffectKind;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.escrow.ReplacementReason;
import io.keyhold.gateway.adapters.MerchantAdapters;
import io.keyhold.gateway.adapters.SandboxProvider;
import io.keyhold.gateway.adapters.StockAdapter;
import io.keyhold.gateway.adapters.Webhooks;
import io.keyhold.gateway.store.EffectCodec;
import io.keyhold.gateway.store.KeyStore;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.StoredOrder;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out escrow-core's effects from the outbox, one handler per {@link EffectKind}, plus the
 * sandbox provider's notices. Each handler first reads the order (as the outbox claim read it, in the same
 * statement, just before the handler runs) and does nothing when the effect no longer matters (the unit was
 * replaced, the order settled): effects are idempotent and may run late, twice, or after a newer one.
 *
 * <p>A definite "no" from a merchant (a refusal such as out of stock) completes the effect: the
 * order's deadlines decide what follows (resupply, then refund), not endless retries. Unknown
 * outcomes (timeouts, open breakers) fail the attempt, so the outbox tries again with backoff.
 */
final class EffectRunner {
  private static final Logger LOG = LoggerFactory.getLogger(EffectRunner.class);
  private static final Set<OrderState> FULFILLING = Set.of(OrderState.FUNDED, OrderState.VALIDATING,
      OrderState.RESUPPLYING);
  /** The effects whose handler starts by reading the order, always: their outbox rows are claimed with it. */
  private static final Set<EffectKind> READING_THE_ORDER = EnumSet.of(EffectKind.REQUEST_DELIVERY,
      EffectKind.REQUEST_REPLACEMENT, EffectKind.REQUEST_FROM_BACKUP, EffectKind.VALIDATE_UNIT,
      EffectKind.RETURN_KEYS_TO_SHOP, EffectKind.RELEASE_RESERVATION);

  private final Pool pool;
  private final OrderStore orders;
  private final MerchantAdapters adapters;
  private final Deliveries deliveries;
  private final KeyStore keys;
  private final KeyChecks checks;
  private final Payments payments;
  private final Webhooks webhooks;
  private final SandboxProvider sandbox;

  EffectRunner(Pool pool, OrderStore orders, MerchantAdapters adapters, Deliveries deliveries, KeyStore keys,
      KeyChecks checks, Payments payments, Webhooks webhooks, SandboxProvider sandbox) {
    this.pool = pool;
    this.orders = orders;
    this.adapters = adapters;
    this.deliveries = deliveries;
    this.keys = keys;
    this.checks = checks;
    this.payments = payments;
    this.webhooks = webhooks;
    this.sandbox = sandbox;
  }

  Map<String, OutboxDispatcher.Handler> handlers() {
    Map<String, OutboxDispatcher.Handler> handlers = new HashMap<>();
    for (EffectKind kind : EffectKind.values()) {
      OutboxDispatcher.Handler handler = row -> run(EffectCodec.decode(row.kind(), row.idempotencyKey(),
          row.payload()), row.merchantId(), row.order());
      handlers.put(kind.code(), READING_THE_ORDER.contains(kind) ? OutboxDispatcher.Handler.readingOrder(handler)
          : handler);
    }
    handlers.put(SandboxProvider.NOTICE_KIND, row -> sandbox.send(row.payload()));
    return handlers;
  }

  /**
   * Carries out {@code effect} of an order of {@code merchantId} (as its outbox row says; null when unknown), the
   * order as the claim read it in hand for the effects {@link #READING_THE_ORDER} (null: read it now).
   */
  private Future<Void> run(Effect effect, String merchantId, StoredOrder claimed) {
    if (effect instanceof Effect.RequestDelivery e) {
      return requestDelivery(e, claimed);
    } else if (effect instanceof Effect.RequestReplacement e) {
      return requestReplacement(e, claimed);
    } else if (effect instanceof Effect.RequestFromBackup e) {
      return requestFromBackup(e, claimed);
    } else if (effect instanceof Effect.ValidateUnit e) {
      return validate(e, claimed);
    } else if (effect instanceof Effect.RefundPayment e) {
      return payments.refund(e);
    } else if (effect instanceof Effect.ReleaseFunds) {
      // The ledger already owes the merchant (merchant:<id>:payable); payouts are settled outside the gateway.
      return Future.succeededFuture();
    } else if (effect instanceof Effect.ReturnKeysToShop e) {
      return returnKeys(e, claimed);
    } else if (effect instanceof Effect.ReleaseReservation e) {
      return releaseReservation(e, claimed);
    } else if (effect instanceof Effect.Notify e) {
      return webhooks.send(e.idempotencyKey(), e.orderId(), merchantId, e.type());
    } else if (effect instanceof Effect.PayCompensation e) {
      return payments.payCompensation(e);
    }
    return Future.failedFuture(new IllegalStateException("no handler for effect " + effect.kind().code()));
  }

  /** The order as the outbox claim read it a moment ago, or, when the claim brought none, as read now. */
  private Future<StoredOrder> orderOf(String orderId, StoredOrder claimed) {
    return claimed != null && claimed.id().equals(orderId) ? Future.succeededFuture(claimed) : orders.load(orderId);
  }

  // ---- keys from the merchant

  private Future<Void> requestDelivery(Effect.RequestDelivery effect, StoredOrder claimed) {
    return orderOf(effect.orderId(), claimed).compose(stored -> {
      if (stored == null || !FULFILLING.contains(stored.order().state())) {
        return Future.succeededFuture();
      }
      List<UnitIndex> units = new ArrayList<>();
      for (int index : effect.units()) {
        OrderUnit unit = stored.order().units().get(index);
        if (unit.state() == io.keyhold.escrow.UnitState.PENDING && unit.deliveries() == 0) {
          units.add(UnitIndex.of(index));
        }
      }
      if (units.isEmpty()) {
        return Future.succeededFuture();
      }
      return adapters.adapterOf(stored.merchantId())
          .compose(adapter -> adapter instanceof StockAdapter stock
              ? fromStockInOneTransaction(stock, stored, units)
              : provideAndAccept(adapter, stored, units))
          .recover(failure -> settledByDeadline(stored, failure));
    });
  }

  private Future<Void> provideAndAccept(MerchantAdapter adapter, StoredOrder stored, List<UnitIndex> units) {
    return adapter.provide(orderRef(stored), units).compose(delivered -> accept(stored, delivered, units.size()));
  }

  /**
   * Takes the keys from stock and stores the delivery in one transaction: one commit for both, and a key leaves the
   * stock only with the order that holds it. The units were never given a key ({@link #requestDelivery} picks only
   * those), so the stock does not look for earlier deliveries of theirs ({@link StockAdapter#provideFirst}). When the order moved since it was read, or refuses the keys, that
   * transaction rolls back and the two-step path decides on a fresh read; a refusal of the stock's is final.
   */
  private Future<Void> fromStockInOneTransaction(StockAdapter stock, StoredOrder stored, List<UnitIndex> units) {
    record Taken(List<DeliveredKey> delivered, OrderStore.Applied applied) {}
    // The validators are read first: inside the transaction the check needs no second connection of the pool.
    return checks.localValidatorsOf(stored.order()).compose(local -> pool.withTransaction(tx ->
            stock.provideFirst(tx, orderRef(stored), units)
                .compose(delivered -> checks.onDelivery(local, stored.order(), delivered)
                    .compose(verdicts -> deliveries.fromStockWithin(tx, stored, delivered, verdicts))
                    .map(applied -> new Taken(delivered, applied)))))
        .transform(taken -> {
          if (taken.succeeded()) {
            orders.announce(taken.result().applied());
            return checkApplied(stored, taken.result().applied(), taken.result().delivered(), units.size());
          }
          return taken.cause() instanceof MerchantRefusedException
              ? Future.failedFuture(taken.cause())
              : provideAndAccept(stock, stored, units);
        });
  }

  private Future<Void> requestReplacement(Effect.RequestReplacement effect, StoredOrder claimed) {
    return orderOf(effect.orderId(), claimed).compose(stored -> {
      if (stored == null || !FULFILLING.contains(stored.order().state())) {
        return Future.succeededFuture();
      }
      OrderUnit unit = stored.order().units().get(effect.unit());
      if (!unit.state().lacksUsableKey() || unit.replacements() != effect.attempt() || unit.source() != 0) {
        // Served already, or a newer replacement superseded this one.
        return Future.succeededFuture();
      }
      UnitIndex index = UnitIndex.of(effect.unit());
      return adapters.adapterOf(stored.merchantId())
          .compose(adapter -> effect.reason() == ReplacementReason.NOT_DELIVERED
              ? adapter.provide(orderRef(stored), List.of(index))
              : adapter.replace(orderRef(stored), index, effect.attempt(), replaceReason(effect.reason()))
                  .map(List::of))
          .compose(delivered -> accept(stored, delivered, 1))
          .recover(failure -> settledByDeadline(stored, failure));
    });
  }

  /**
   * Asks a backup source for a unit, through that merchant's adapter (its stock pool, reserved and delivered in
   * one go, or its shop): the first request there as a first delivery, later ones as replacements of the key it
   * sent. The order is named to the backup as its own (its merchant and SKU), without a reservation.
   */
  private Future<Void> requestFromBackup(Effect.RequestFromBackup effect, StoredOrder claimed) {
    return orderOf(effect.orderId(), claimed).compose(stored -> {
      if (stored == null || !FULFILLING.contains(stored.order().state())) {
        return Future.succeededFuture();
      }
      OrderUnit unit = stored.order().units().get(effect.unit());
      if (!unit.state().lacksUsableKey() || unit.source() != effect.source()
          || unit.replacements() != effect.attempt()) {
        // Served already, or a newer request (or source) superseded this one.
        return Future.succeededFuture();
      }
      OrderRef ref = new OrderRef(stored.id(), effect.merchantId(), effect.skuId(), null);
      UnitIndex index = UnitIndex.of(effect.unit());
      KeyStore.Supplier supplier = new KeyStore.Supplier(effect.merchantId(), effect.skuId());
      return adapters.adapterOf(effect.merchantId())
          .compose(adapter -> (effect.attempt() == 1
              ? adapter.provide(ref, List.of(index))
              : adapter.replace(ref, index, effect.attempt() - 1, replaceReason(effect.reason())).map(List::of))
              .compose(delivered -> {
                String source = adapter instanceof StockAdapter ? KeyStore.SOURCE_STOCK : KeyStore.SOURCE_ADAPTER;
                return checks.onDelivery(stored.order(), delivered)
                    .compose(verdicts -> deliveries.fromBackup(stored, source, effect.source(), supplier, delivered,
                        verdicts))
                    .compose(applied -> checkApplied(stored, applied, delivered, 1));
              }))
          .recover(failure -> settledByDeadline(stored, failure));
    });
  }

  private Future<Void> accept(StoredOrder stored, List<DeliveredKey> delivered, int asked) {
    String source = StockAdapter.TYPE.equals(stored.adapterType()) ? KeyStore.SOURCE_STOCK : KeyStore.SOURCE_ADAPTER;
    return checks.onDelivery(stored.order(), delivered)
        .compose(verdicts -> deliveries.fromAdapter(stored, source, delivered, verdicts))
        .compose(applied -> checkApplied(stored, applied, delivered, asked));
  }

  private Future<Void> checkApplied(StoredOrder stored, OrderStore.Applied applied, List<DeliveredKey> delivered,
      int asked) {
    if (applied.rejection() != null) {
      LOG.warn("order {} refused keys from its merchant: {}", stored.id(), applied.rejection().code().code());
      return Future.succeededFuture();
    }
    if (delivered.size() < asked) {
      // Units the shop left pending: ask again later (the deadline still bounds the wait).
      return Future.failedFuture(new IllegalStateException((asked - delivered.size()) + " unit(s) still pending"));
    }
    return Future.succeededFuture();
  }

  /** A definite refusal ends the effect; the order's deadline takes it from there. Anything else is retried. */
  private Future<Void> settledByDeadline(StoredOrder stored, Throwable failure) {
    if (failure instanceof MerchantRefusedException refused) {
      LOG.info("merchant {} refused order {}: {}; its deadline decides", stored.merchantId(), stored.id(),
          refused.code());
      return Future.succeededFuture();
    }
    return Future.failedFuture(failure);
  }

  private static ReplaceReason replaceReason(ReplacementReason reason) {
    return switch (reason) {
      case INVALID -> ReplaceReason.INVALID;
      case REDEEMED -> ReplaceReason.REDEEMED;
      case DUPLICATE_KEY -> ReplaceReason.DUPLICATE_KEY;
      case VERDICT_UNKNOWN, NOT_DELIVERED -> ReplaceReason.VERDICT_UNKNOWN;
    };
  }

  static OrderRef orderRef(StoredOrder stored) {
    Order order = stored.order();
    return new OrderRef(order.id(), order.merchantId(), order.skuId(), stored.reservationId());
  }

  // ---- validation

  private Future<Void> validate(Effect.ValidateUnit effect, StoredOrder claimed) {
    return orderOf(effect.orderId(), claimed).compose(stored -> {
      if (stored == null || !FULFILLING.contains(stored.order().state())) {
        return Future.succeededFuture();
      }
      OrderUnit unit = stored.order().units().get(effect.unit());
      if (!effect.keyRef().equals(unit.keyRef()) || !unit.state().awaitsVerdict()) {
        return Future.succeededFuture();
      }
      Order order = stored.order();
      return checks.validatorsOf(order).compose(validators -> keys.open(pool, order.merchantId(), order.id(),
              List.of(effect.keyRef()))
          .compose(opened -> {
            CardKey key = opened.get(effect.keyRef());
            if (key == null) {
              return Future.failedFuture(new IllegalStateException("key " + effect.keyRef() + " is not stored"));
            }
            return KeyChecks.verdict(validators, order.skuId(), key);
          }))
          // Decided on the order read above; the version check re-reads it only if it moved meanwhile.
          .compose(verdict -> orders.apply(stored, OrderStore.Decision.events(
              List.of(new OrderEvent.UnitChecked(effect.unit(), effect.keyRef(), verdict)))))
          .mapEmpty();
    });
  }

  // ---- closing

  private Future<Void> returnKeys(Effect.ReturnKeysToShop effect, StoredOrder claimed) {
    return orderOf(effect.orderId(), claimed).compose(stored -> {
      if (stored == null || (stored.order().backups().isEmpty() && !StockAdapter.TYPE.equals(stored.adapterType()))) {
        return Future.succeededFuture();
      }
      // Each key goes back to the stock of the source that delivered it. A remote shop keeps its keys (the merchant
      // protocol has no "take back"): the order's own when it sells through one, and a backup shop's, which holds no
      // stock here for the key to return to.
      return pool.withTransaction(tx -> keys.bySupplier(tx, stored.merchantId(), stored.id(), effect.keyRefs())
          .compose(grouped -> {
            Future<Integer> returned = Future.succeededFuture(0);
            for (Map.Entry<String, List<String>> group : grouped.entrySet()) {
              boolean own = group.getKey().equals(stored.merchantId());
              if (own && !StockAdapter.TYPE.equals(stored.adapterType())) {
                continue;
              }
              returned = returned.compose(n -> keys.returnToStock(tx, stored.merchantId(), group.getKey(), stored.id(),
                  group.getValue()).map(m -> n + m));
            }
            return returned;
          }))
          .mapEmpty();
    });
  }

  private Future<Void> releaseReservation(Effect.ReleaseReservation effect, StoredOrder claimed) {
    return orderOf(effect.orderId(), claimed).compose(stored -> {
      if (stored == null || stored.reservationId() == null || stored.reservationUsedUpByStock()) {
        return Future.succeededFuture();
      }
      Order order = stored.order();
      Instant until = stored.reservedUntil() != null ? stored.reservedUntil() : orders.now();
      Reservation reservation = new Reservation(stored.reservationId(), order.merchantId(), order.skuId(),
          order.quantity(), until);
      return adapters.adapterOf(order.merchantId())
          .compose(adapter -> adapter.cancel(reservation))
          .recover(failure -> failure instanceof MerchantRefusedException refused
              && (refused.refusal() == Refusal.RESERVATION_CONSUMED || refused.refusal() == Refusal.UNKNOWN_RESERVATION)
              ? Future.succeededFuture()
              : Future.failedFuture(failure));
    });
  }
}
