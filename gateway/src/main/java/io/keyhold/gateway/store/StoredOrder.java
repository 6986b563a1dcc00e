package io.keyhold.gateway.store;

import io.keyhold.escrow.Order;
import java.time.Instant;
import java.util.Objects;

/**
 * An order as the store holds it: escrow-core's {@link Order} (the source of truth for its state,
 * units, payments and deadlines) and what the gateway keeps beside it.
 *
 * @param order the restored escrow-core order
 * @param adapterType the merchant adapter the order was placed through ({@code stock}, {@code http}...)
 * @param reservationId the adapter's reservation made at checkout, or null
 * @param reservedUntil when that reservation lapses, or null
 * @param buyerRef the shop's reference for the buyer, or null
 */
public record StoredOrder(Order order, String adapterType, String reservationId, Instant reservedUntil,
    String buyerRef) {
  public StoredOrder {
    Objects.requireNonNull(order, "order");
    Objects.requireNonNull(adapterType, "adapterType");
  }

  public String id() {
    return order.id();
  }

  public String merchantId() {
    return order.merchantId();
  }

  /** The same order with a new reservation (made for a payment after expiry). */
  public StoredOrder reservedAgain(String newReservationId, Instant until) {
    return new StoredOrder(order, adapterType, newReservationId, until, buyerRef);
  }

  /**
   * True when the order's stock reservation has nothing left to give back: every unit took its first key from the
   * order's own stock shop, and a first delivery takes the reservation's keys before any free one. Its release
   * would find nothing, so none is queued; a key left reserved all the same would still go back to stock when its
   * reservation's time ends (the sweeper).
   */
  public boolean reservationUsedUpByStock() {
    return StockVault.ADAPTER_TYPE.equals(adapterType)
        && order.units().stream().allMatch(unit -> unit.source() == 0 && unit.deliveries() > 0);
  }

  /** The same row holding another order (after a transition). */
  public StoredOrder with(Order next) {
    return new StoredOrder(next, adapterType, reservationId, reservedUntil, buyerRef);
  }
}
