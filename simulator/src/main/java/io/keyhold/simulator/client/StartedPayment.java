package io.keyhold.simulator.client;

/**
 * The gateway's answer to {@code POST /v1/payments/start}: the provider its checkout pays through, the payment's
 * id there (an epay {@code out_trade_no}), and where the buyer's browser goes to pay.
 */
public record StartedPayment(String provider, String paymentId, String payUrl) {}
