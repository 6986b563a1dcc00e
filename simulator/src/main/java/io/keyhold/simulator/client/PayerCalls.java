package io.keyhold.simulator.client;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

/** The buyer as payer at the sandbox payment provider: a payment for the order, then "Pay". */
public final class PayerCalls {

  private final GatewayTransport transport;

  PayerCalls(GatewayTransport transport) {
    this.transport = transport;
  }

  /** {@code POST /v1/sandbox/payments}: the payment's id. */
  public Future<String> createPayment(String orderId, String orderToken, Amount amount, String idempotencyKey) {
    JsonObject body = new JsonObject().put("order_id", orderId).put("order_token", orderToken)
        .put("amount", amount.toJson());
    return transport.send("createPayment", HttpMethod.POST, "/v1/sandbox/payments", null, body, idempotencyKey)
        .map(json -> {
          String id = json.getString("payment_id");
          if (id == null) {
            throw new ApiProblem("createPayment", 201, ApiProblem.UNREADABLE, "no payment_id in the answer", -1);
          }
          return id;
        });
  }

  /** {@code POST /v1/sandbox/payments/{id}/confirm}: the buyer presses "Pay". */
  public Future<JsonObject> confirmPayment(String paymentId, String idempotencyKey) {
    return transport.send("confirmPayment", HttpMethod.POST, "/v1/sandbox/payments/" + paymentId + "/confirm", null,
        new JsonObject(), idempotencyKey);
  }
}
