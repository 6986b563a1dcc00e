package io.keyhold.gateway.api;

import io.keyhold.gateway.engine.Checkout;
import io.keyhold.gateway.store.Ids;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checkout sessions over HTTP: {@code POST /v1/checkout-sessions} (merchant) and
 * {@code GET /v1/checkout-sessions/{id}} (public, the session id being the secret). Reading the
 * request and writing the answer; {@link Checkout} does the work. The new session's answer is
 * recorded for its Idempotency-Key by the statement that stores the order, with no claim before it
 * ({@link Endpoints#postNewDemandAnsweredInItsTransaction}).
 */
final class CheckoutRoutes {
  private static final Set<String> FIELDS = Set.of("sku_id", "quantity", "buyer_ref");
  private static final Pattern SKU_ID = Ids.pattern("sku");

  private final Checkout checkout;

  private CheckoutRoutes(Checkout checkout) {
    this.checkout = checkout;
  }

  static void mount(Endpoints endpoints, Checkout checkout) {
    CheckoutRoutes routes = new CheckoutRoutes(checkout);
    endpoints.postNewDemandAnsweredInItsTransaction("createCheckoutSession", Caller.Kind.MERCHANT, routes::soldOut,
        routes::create);
    endpoints.get("getCheckoutSession", Caller.Kind.PUBLIC, routes::get);
  }

  private Future<Reply> create(ApiRequest request) {
    JsonInput in = JsonInput.of(request.body(), FIELDS);
    String skuId = in.requiredMatching("sku_id", SKU_ID, 64);
    long quantity = in.requiredLong("quantity", 1, Checkout.QUANTITY_MAX);
    String buyerRef = in.optionalString("buyer_ref", 1, Checkout.BUYER_REF_LENGTH_MAX);
    in.done();
    return checkout.create(request.merchantId(), skuId, (int) quantity, buyerRef,
            (sessionId, session) -> request.replyGate(created(sessionId, session)))
        .map(session -> created(session.getString("id"), session));
  }

  /**
   * A flash sale's sold-out crowd is answered from this instance's memory of the SKU coming up short, before any
   * work and without storing the answer (see {@link Endpoints.EarlyRefusal}); a body it cannot read runs as usual.
   */
  private Throwable soldOut(Caller caller, JsonObject body) {
    Object skuId = body.getValue("sku_id");
    Object quantity = body.getValue("quantity");
    if (!(skuId instanceof String sku) || !(quantity instanceof Integer units) || units < 1
        || units > Checkout.QUANTITY_MAX) {
      return null;
    }
    return checkout.knownSoldOut(caller.merchantId(), sku, units);
  }

  private static Reply created(String sessionId, JsonObject session) {
    return Reply.created(session, "/v1/checkout-sessions/" + sessionId);
  }

  private Future<Reply> get(ApiRequest request) {
    return checkout.get(request.pathParam("id"))
        .map(session -> new Reply(200, Reply.JSON, session.toBuffer(), Map.of("Cache-Control", "no-store")));
  }
}
