package io.keyhold.adapters.reference;

import io.keyhold.adapters.http.MerchantProtocol;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference merchant's unsigned admin endpoints, outside the protocol: read and switch the faults
 * ({@code /_faults}), read the statistics ({@code /_stats}) and redeem a key at the fake issuer
 * ({@code /_issuer/redeem}).
 */
final class AdminRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);

  private final Supplier<Faults> faults;
  private final Consumer<Faults> switchFaults;
  private final Supplier<JsonObject> stats;
  private final Predicate<String> redeem;

  AdminRoutes(Supplier<Faults> faults, Consumer<Faults> switchFaults, Supplier<JsonObject> stats,
      Predicate<String> redeem) {
    this.faults = faults;
    this.switchFaults = switchFaults;
    this.stats = stats;
    this.redeem = redeem;
  }

  void mount(Router router) {
    router.get("/_faults").handler(ctx -> answer(ctx, 200, faults.get().toJson()));
    router.post("/_faults").handler(this::setFaults);
    router.get("/_stats").handler(ctx -> answer(ctx, 200, stats.get()));
    router.post("/_issuer/redeem").handler(this::redeem);
  }

  /** Answers any request that failed outside the protocol's routes. */
  void failure(RoutingContext ctx) {
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    answer(ctx, status, ProtocolProblem.document(status, "bad_request", "admin request failed", null));
  }

  private void setFaults(RoutingContext ctx) {
    try {
      JsonObject json = ctx.body().asJsonObject();
      Faults now = Faults.fromJson(json == null ? new JsonObject() : json);
      switchFaults.accept(now);
      LOG.info("faults now {}", now.toJson().encode());
      answer(ctx, 200, now.toJson());
    } catch (DecodeException | IllegalArgumentException | ClassCastException e) {
      answer(ctx, 400, ProtocolProblem.document(400, "bad_request", e.getMessage(), null));
    }
  }

  private void redeem(RoutingContext ctx) {
    try {
      JsonObject json = ctx.body().asJsonObject();
      String key = json == null ? null : ProtocolOperations.stringOrNull(json, "key");
      if (key == null) {
        answer(ctx, 400, ProtocolProblem.document(400, "bad_request", "key must be a string", null));
        return;
      }
      answer(ctx, 200, new JsonObject().put("redeemed", redeem.test(key)));
    } catch (DecodeException | ClassCastException e) {
      answer(ctx, 400, ProtocolProblem.document(400, "bad_request", "body must be a JSON object", null));
    }
  }

  private static void answer(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, status < 300 ? MerchantProtocol.CONTENT_TYPE_JSON : MerchantProtocol.CONTENT_TYPE_PROBLEM)
        .end(body.toBuffer());
  }
}
