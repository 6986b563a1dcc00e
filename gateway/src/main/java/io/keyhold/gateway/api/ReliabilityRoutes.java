package io.keyhold.gateway.api;

import io.keyhold.gateway.engine.MerchantReliability;
import io.keyhold.gateway.engine.Reliability;
import io.keyhold.gateway.store.MerchantStats.Counts;
import io.keyhold.gateway.store.ShortLivedCache;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * Merchants' reliability: {@code GET /v1/merchants/{id}/reliability} for anyone (a checkout page shows it before
 * the buyer pays; merchant ids are not secret there and only aggregates are shown), and the operator's ranking
 * {@code GET /admin/v1/merchant-scores}.
 */
public final class ReliabilityRoutes {
  /** Merchants a ranking lists unless asked otherwise. */
  static final int RANKING_LIMIT_DEFAULT = 100;

  private ReliabilityRoutes() {}

  public static void mount(Endpoints endpoints, MerchantReliability reliability) {
    endpoints.get("getMerchantReliability", Caller.Kind.PUBLIC, request ->
        reliability.of(request.pathParam("id")).compose(found -> found == null
            ? Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND, "No such merchant"))
            : Future.succeededFuture(new Reply(200, Reply.JSON, toJson(found).toBuffer(),
                Map.of("Cache-Control", "public, max-age=" + ShortLivedCache.REUSE_MAX.toSeconds())))));
    endpoints.get("listMerchantScores", Caller.Kind.ADMIN, request -> {
      // The OpenAPI document bounds both parameters before this runs.
      String limit = request.queryParam("limit");
      boolean worstFirst = !"best".equals(request.queryParam("order"));
      return reliability.ranking(worstFirst, limit == null ? RANKING_LIMIT_DEFAULT : Integer.parseInt(limit))
          .map(ranking -> {
            JsonArray items = new JsonArray();
            ranking.forEach(merchant -> items.add(toJson(merchant)));
            return Reply.ok(new JsonObject().put("window_days", MerchantReliability.WINDOW_DAYS)
                .put("order", worstFirst ? "worst" : "best").put("items", items));
          });
    });
  }

  static JsonObject toJson(Reliability r) {
    Counts c = r.counts();
    return new JsonObject()
        .put("merchant_id", r.merchantId())
        .put("name", r.name())
        .put("window_days", MerchantReliability.WINDOW_DAYS)
        .put("from", r.from().toString())
        .put("to", r.to().toString())
        .put("score", r.score())
        .put("enough_data", r.enoughData())
        .put("deliveries_min", Reliability.DELIVERIES_MIN)
        .put("delivery", new JsonObject()
            .put("sample", r.deliveries())
            .put("on_time", c.deliveriesOnTime())
            .put("late", c.deliveriesLate())
            .put("on_time_rate", r.onTimeRate())
            .put("median_ms", r.deliveryMsMedian())
            .put("p95_ms", r.deliveryMsP95()))
        .put("keys", new JsonObject()
            .put("sample", c.keysChecked())
            .put("invalid", c.keysInvalid())
            .put("invalid_rate", r.invalidKeyRate()))
        .put("resupplies", new JsonObject()
            .put("sample", r.resupplies())
            .put("succeeded", c.resuppliesSucceeded())
            .put("failed", c.resuppliesFailed())
            .put("success_rate", r.resupplySuccessRate()))
        .put("orders", new JsonObject()
            .put("sample", c.ordersClosed())
            .put("refunded", c.ordersRefunded())
            .put("refund_rate", r.refundRate()))
        .put("disputes", new JsonObject()
            .put("decided", c.disputesDecided())
            .put("lost", c.disputesLost()));
  }
}
