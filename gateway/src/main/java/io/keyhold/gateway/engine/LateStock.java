package io.keyhold.gateway.engine;

import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.Reservation;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderState;
import io.keyhold.gateway.adapters.MerchantAdapters;
import io.keyhold.gateway.adapters.StockAdapter;
import io.keyhold.gateway.store.StoredOrder;
import io.vertx.core.Future;
import java.time.Instant;

/**
 * Reserves stock again, through the merchant's adapter, for a late payment (made after the payment
 * deadline, or announced after the order expired), unless the stock vault still holds the order's own
 * reservation: held until the delivery deadline the order would get if it is funded now. A refusal means
 * "no stock"; an unknown outcome fails, which {@link Payments} also counts as "no stock": the order
 * then refunds the payment at once rather than leave the buyer paid but waiting.
 */
final class LateStock implements Payments.StockCheck {
  private final MerchantAdapters adapters;

  LateStock(MerchantAdapters adapters) {
    this.adapters = adapters;
  }

  @Override
  public boolean stillHeld(StoredOrder stored, Instant now) {
    return StockAdapter.TYPE.equals(stored.adapterType()) && stored.reservationId() != null
        && stored.order().state() == OrderState.AWAITING_PAYMENT
        && stored.reservedUntil() != null && stored.reservedUntil().isAfter(now);
  }

  @Override
  public Future<Reserved> reserveAgain(StoredOrder stored, Instant now) {
    Order order = stored.order();
    Instant until = now.plus(order.policy().deliverWithin());
    return adapters.adapterOf(order.merchantId())
        .compose(adapter -> adapter.reserve(order.skuId(), order.quantity(), until))
        .map(reservation -> new Reserved(reservation.reservationId(), reservation.until()))
        .recover(failure -> failure instanceof MerchantRefusedException
            ? Future.succeededFuture(null)
            : Future.failedFuture(failure));
  }

  @Override
  public Future<Void> release(StoredOrder stored, Reserved reserved) {
    Order order = stored.order();
    return adapters.adapterOf(order.merchantId()).compose(adapter -> adapter.cancel(new Reservation(
        reserved.reservationId(), order.merchantId(), order.skuId(), order.quantity(), reserved.until())));
  }
}
