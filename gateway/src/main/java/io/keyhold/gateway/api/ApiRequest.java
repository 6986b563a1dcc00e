package io.keyhold.gateway.api;

import io.keyhold.gateway.store.OrderStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlClient;

/**
 * What an {@link Endpoints.ApiHandler} gets: the authenticated caller, the parsed and
 * OpenAPI-validated JSON body (POST), path and query parameters, and the request's
 * Idempotency-Key claim.
 */
public final class ApiRequest {
  private final RoutingContext ctx;
  private final Caller caller;
  private final JsonObject body;
  private final Idempotency idempotency;
  private final Idempotency.Claim claim;

  ApiRequest(RoutingContext ctx, Caller caller, JsonObject body, Idempotency idempotency, Idempotency.Claim claim) {
    this.ctx = ctx;
    this.caller = caller;
    this.body = body;
    this.idempotency = idempotency;
    this.claim = claim;
  }

  public Caller caller() {
    return caller;
  }

  /** The merchant making the request; only on routes mounted for merchants. */
  public String merchantId() {
    return caller.requireMerchantId();
  }

  /** The JSON object body of a POST (never null there; {@code {}} for GET). */
  public JsonObject body() {
    return body == null ? new JsonObject() : body;
  }

  public String pathParam(String name) {
    return ctx.pathParam(name);
  }

  public String queryParam(String name) {
    return ctx.request().getParam(name);
  }

  /** The request path, the problem's {@code instance}. */
  public String path() {
    return ctx.request().path();
  }

  /** The Vert.x context; for what this class does not offer. */
  public RoutingContext routingContext() {
    return ctx;
  }

  /**
   * Stores {@code reply} as this request's Idempotency-Key answer inside the handler's own
   * transaction, so the work and its answer commit together. A no-op without an Idempotency-Key.
   * The handler then still returns {@code reply}.
   */
  public Future<Void> recordReply(SqlClient transaction, Reply reply) {
    return claim == null ? Future.succeededFuture() : idempotency.complete(transaction, claim, reply);
  }

  /**
   * Stores {@code reply} as this request's Idempotency-Key answer as the gate of the statement storing a new order
   * ({@link OrderStore#insert}), so the order and its answer are written together; null without an Idempotency-Key.
   */
  public OrderStore.Gate replyGate(Reply reply) {
    return claim == null ? null : idempotency.gate(claim, reply);
  }

  /**
   * Claims this request's Idempotency-Key as the gate of the statement storing its change ({@link
   * Idempotency#changeGate}), for a route mounted with {@link Endpoints#postClaimedByItsChange}; null without an
   * Idempotency-Key. Ask once per request.
   */
  public OrderStore.Gate changeGate() {
    return claim == null ? null : idempotency.changeGate(claim);
  }
}
