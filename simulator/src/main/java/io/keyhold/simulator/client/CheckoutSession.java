package io.keyhold.simulator.client;

/**
 * A checkout session the shop created for one buyer ({@code POST /v1/checkout-sessions}).
 *
 * @param id {@code cs_...}, the secret of the checkout page
 * @param orderId {@code ord_...}
 * @param orderToken the buyer's bearer token for the order, or null when the answer's
 *     {@code order_url} did not carry one (then {@code GET /v1/checkout-sessions/{id}} is asked)
 */
public record CheckoutSession(String id, String orderId, String orderToken) {
  @Override
  public String toString() {
    return "CheckoutSession[" + id + ", " + orderId + ", token=redacted]";
  }
}
