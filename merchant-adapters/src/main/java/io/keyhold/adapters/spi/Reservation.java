package io.keyhold.adapters.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A hold on stock made at checkout: {@code quantity} keys of {@code skuId} set aside until
 * {@code until}, after which the merchant may sell them again. It is the handle a later
 * {@link MerchantAdapter#cancel(Reservation)} or an order's delivery refers to.
 *
 * @param reservationId the idempotency key of the hold
 * @param merchantId the merchant holding the stock
 * @param skuId the SKU held
 * @param quantity how many keys are held, from 1 to {@value #QUANTITY_MAX}
 * @param until when the hold lapses; never later than the time asked for
 */
public record Reservation(String reservationId, String merchantId, String skuId, int quantity, Instant until) {

  /** Largest quantity one reservation may hold (the protocol's bound). */
  public static final int QUANTITY_MAX = 100;

  /** Rejects malformed identifiers and a quantity outside 1..{@value #QUANTITY_MAX}. */
  public Reservation {
    Identifiers.require("reservationId", reservationId);
    Identifiers.require("merchantId", merchantId);
    Identifiers.require("skuId", skuId);
    requireQuantity(quantity);
    Objects.requireNonNull(until, "until");
  }

  /** Returns {@code quantity} when it is within 1..{@value #QUANTITY_MAX}, else throws naming it. */
  public static int requireQuantity(int quantity) {
    return Range.check("quantity", quantity, 1, QUANTITY_MAX);
  }
}
