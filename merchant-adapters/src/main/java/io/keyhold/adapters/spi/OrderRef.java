package io.keyhold.adapters.spi;

import java.util.Optional;

/**
 * Which order an adapter call is about: the order, its merchant, its SKU, and the reservation made
 * for it at checkout, when there was one.
 *
 * <p>The order id is the idempotency key a merchant keys its deliveries on: the same order and unit
 * always get the same key.
 *
 * @param orderId Keyhold's order id
 * @param merchantId the merchant selling the order
 * @param skuId the SKU ordered
 * @param reservationId the reservation made at checkout, or {@code null} when there was none;
 *     read it through {@link #reservation()}
 */
public record OrderRef(String orderId, String merchantId, String skuId, String reservationId) {

  /** Rejects malformed identifiers, naming the field and the value. */
  public OrderRef {
    Identifiers.require("orderId", orderId);
    Identifiers.require("merchantId", merchantId);
    Identifiers.require("skuId", skuId);
    if (reservationId != null) {
      Identifiers.require("reservationId", reservationId);
    }
  }

  /** An order placed without a reservation. */
  public static OrderRef of(String orderId, String merchantId, String skuId) {
    return new OrderRef(orderId, merchantId, skuId, null);
  }

  /** The same order, taking its keys from the given reservation. */
  public OrderRef withReservation(String reservationId) {
    return new OrderRef(orderId, merchantId, skuId, Identifiers.require("reservationId", reservationId));
  }

  /** The reservation made for this order at checkout, if any. */
  public Optional<String> reservation() {
    return Optional.ofNullable(reservationId);
  }
}
