package io.keyhold.gateway.engine;

import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.gateway.adapters.MerchantAdapters;
import io.keyhold.gateway.adapters.StockAdapter;
import io.keyhold.gateway.store.StoredOrder;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keys a shop's own stock holds for an order, delivered by the change that funds it: the payment's transaction takes
 * the order's reserved keys, stores them and decides their delivery with the payment, so a paid order is ready in
 * one commit, with no delivery request queued and run after it. Only for an order placed on the gateway's stock
 * whose checkout reservation still stands (not a late payment, which reserves again); any other order, or one the
 * stock cannot serve at once, is funded alone and its delivery requested as before (see {@link Payments}).
 */
final class StockAtFunding {
  /** What the delivery needs before the payment's transaction: the stock, and the SKU's local validators if any. */
  record Prepared(StockAdapter stock, Optional<List<KeyValidator>> local) {}

  private final MerchantAdapters adapters;
  private final KeyChecks checks;
  private final Deliveries deliveries;

  StockAtFunding(MerchantAdapters adapters, KeyChecks checks, Deliveries deliveries) {
    this.adapters = Objects.requireNonNull(adapters, "adapters");
    this.checks = Objects.requireNonNull(checks, "checks");
    this.deliveries = Objects.requireNonNull(deliveries, "deliveries");
  }

  /**
   * Read before the payment's transaction, so nothing inside it waits for a second connection: null when the order's
   * keys do not come with its funding (not the stock's, no reservation, not awaiting payment, or the stock cannot be
   * reached now).
   */
  Future<Prepared> prepare(StoredOrder order) {
    if (!StockAdapter.TYPE.equals(order.adapterType()) || order.reservationId() == null
        || order.order().state() != OrderState.AWAITING_PAYMENT) {
      return Future.succeededFuture(null);
    }
    return adapters.adapterOf(order.merchantId())
        .compose(adapter -> adapter instanceof StockAdapter stock
            ? checks.localValidatorsOf(order.order()).map(local -> new Prepared(stock, local))
            : Future.<Prepared>succeededFuture(null))
        .otherwise((Prepared) null);
  }

  /**
   * The delivery's events for the order as the payment funds it ({@code funded}, not stored yet), its keys taken
   * from the reservation and stored in {@code tx}: none when no unit awaits a key. Fewer keys than units leave the
   * others to the delivery request the payment queues.
   */
  Future<List<OrderEvent>> deliverWithin(SqlClient tx, StoredOrder funded, Instant now, Prepared prepared) {
    List<UnitIndex> units = funded.order().units().stream().filter(OrderUnit::awaitsFirstDelivery)
        .map(unit -> UnitIndex.of(unit.index())).toList();
    if (units.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return prepared.stock().provideFirst(tx, EffectRunner.orderRef(funded), units)
        .compose(delivered -> checks.onDelivery(prepared.local(), funded.order(), delivered)
            .compose(verdicts -> deliveries.fromStockDecidedWith(tx, funded, now, delivered, verdicts)));
  }
}
