package io.keyhold.simulator.client;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

/** The buyer's calls, under the order's token: the order, reveal, confirm, cancel, dispute, its events. */
public final class BuyerCalls {

  private final GatewayTransport transport;

  BuyerCalls(GatewayTransport transport) {
    this.transport = transport;
  }

  /** {@code GET /v1/buyer/orders/{id}}. */
  public Future<OrderView> order(String orderId, String orderToken) {
    return transport.send("getOrder", HttpMethod.GET, "/v1/buyer/orders/" + orderId, orderToken, null, null)
        .map(OrderView::fromJson);
  }

  /**
   * {@code GET /v1/buyer/orders/{id}} asked once, without retries: for a poll, whose next round is
   * the retry, so an overloaded gateway is not asked five times as often.
   */
  public Future<OrderView> orderOnce(String orderId, String orderToken) {
    return transport.once("pollOrder", HttpMethod.GET, "/v1/buyer/orders/" + orderId, orderToken, null, null)
        .map(OrderView::fromJson);
  }

  /** {@code POST /v1/buyer/orders/{id}/reveal}: the order with its keys. */
  public Future<OrderView> reveal(String orderId, String orderToken) {
    return act("reveal", orderId, orderToken, "reveal", new JsonObject());
  }

  public Future<OrderView> confirm(String orderId, String orderToken) {
    return act("confirm", orderId, orderToken, "confirm", new JsonObject());
  }

  public Future<OrderView> cancel(String orderId, String orderToken) {
    return act("cancel", orderId, orderToken, "cancel", new JsonObject());
  }

  /** {@code POST /v1/buyer/orders/{id}/disputes}: the raw answer (a dispute, or the order). */
  public Future<JsonObject> dispute(String orderId, String orderToken, String reason, String text) {
    return transport.send("dispute", HttpMethod.POST, "/v1/buyer/orders/" + orderId + "/disputes", orderToken,
        new JsonObject().put("reason", reason).put("text", text), "dispute-" + orderId);
  }

  /** The URL of the order's event stream (server-sent events). */
  public String eventsUrl(String orderId) {
    return transport.baseUrl() + "/v1/buyer/orders/" + orderId + "/events";
  }

  private Future<OrderView> act(String operation, String orderId, String orderToken, String action,
      JsonObject body) {
    // One key per order and action: a buyer pressing twice, or a retry, is the same request.
    return transport.send(operation, HttpMethod.POST, "/v1/buyer/orders/" + orderId + "/" + action, orderToken, body,
        action + "-" + orderId)
        .map(json -> json.getValue("order") instanceof JsonObject order ? OrderView.fromJson(order)
            : OrderView.fromJson(json));
  }
}
