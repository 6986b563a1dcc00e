package io.keyhold.simulator.client;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** A shop's server calls, under the shop's API key: its SKUs, its stock, a checkout for a buyer. */
public final class MerchantCalls {

  private final GatewayTransport transport;

  MerchantCalls(GatewayTransport transport) {
    this.transport = transport;
  }

  /** {@code POST /v1/skus}: the new SKU's id. A fresh Idempotency-Key makes a retry the same request. */
  public Future<String> createSku(String apiKey, JsonObject sku) {
    return transport.send("createSku", HttpMethod.POST, "/v1/skus", apiKey, sku, freshKey()).map(json -> {
      String id = json.getString("id");
      if (id == null) {
        throw new ApiProblem("createSku", 201, ApiProblem.UNREADABLE, "no id in the answer", -1);
      }
      return id;
    });
  }

  /** {@code POST /v1/skus/{id}/stock}: how many keys were accepted (a fresh Idempotency-Key, as above). */
  public Future<Integer> uploadStock(String apiKey, String skuId, List<String> keys) {
    return transport.send("uploadStock", HttpMethod.POST, "/v1/skus/" + skuId + "/stock", apiKey,
        new JsonObject().put("keys", new JsonArray(keys)), freshKey())
        .map(json -> json.getValue("accepted") instanceof Number n ? n.intValue() : keys.size());
  }

  /** {@code POST /v1/checkout-sessions}: a session for one buyer, stock reserved. */
  public Future<CheckoutSession> createCheckout(String apiKey, String skuId, int quantity, String buyerRef,
      String idempotencyKey) {
    return createCheckout(apiKey, skuId, quantity, buyerRef, idempotencyKey, null);
  }

  /**
   * {@link #createCheckout(String, String, int, String, String)}, telling {@code timing} (unless null) how the
   * {@code POST} spent its time: its wait in the gateway's waiting room, and its served attempt.
   */
  public Future<CheckoutSession> createCheckout(String apiKey, String skuId, int quantity, String buyerRef,
      String idempotencyKey, CallTiming timing) {
    JsonObject body = new JsonObject().put("sku_id", skuId).put("quantity", quantity).put("buyer_ref", buyerRef);
    return transport.send("createCheckout", HttpMethod.POST, "/v1/checkout-sessions", apiKey, body, idempotencyKey,
            timing)
        .compose(json -> {
          String id = json.getString("id");
          String orderId = json.getString("order_id");
          if (id == null || orderId == null) {
            return Future.failedFuture(new ApiProblem("createCheckout", 201, ApiProblem.UNREADABLE,
                "no id or order_id in the answer", -1));
          }
          String token = queryParam(json.getString("order_url"), "t");
          if (token != null) {
            return Future.succeededFuture(new CheckoutSession(id, orderId, token));
          }
          return transport.send("getCheckout", HttpMethod.GET, "/v1/checkout-sessions/" + id, null, null, null)
              .map(session -> new CheckoutSession(id, orderId, session.getString("order_token")));
        });
  }

  /** A new Idempotency-Key, kept for the call's retries. */
  static String freshKey() {
    return UUID.randomUUID().toString();
  }

  /** The value of query parameter {@code name} in {@code url}, or null. */
  private static String queryParam(String url, String name) {
    if (url == null) {
      return null;
    }
    int question = url.indexOf('?');
    if (question < 0) {
      return null;
    }
    for (String pair : url.substring(question + 1).split("&")) {
      int equals = pair.indexOf('=');
      if (equals > 0 && pair.substring(0, equals).equals(name)) {
        return URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
