package io.keyhold.gateway.api;

import io.keyhold.escrow.Award;
import io.keyhold.gateway.engine.Disputes;
import io.keyhold.gateway.engine.EvidenceBundles;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Operator API for disputes: {@code GET /admin/v1/disputes?state=open|decided&cursor=} and
 * {@code POST /admin/v1/disputes/{id}/decision} with {@code {award: release|refund|split, units?}}, and any order's
 * evidence with its signature checked ({@code GET /admin/v1/orders/{id}/evidence}), for the dispute desk.
 */
final class DisputeRoutes {
  private static final Set<String> DECISION_FIELDS = Set.of("award", "units");
  private static final Set<String> UNIT_FIELDS = Set.of("index", "award");
  private static final Pattern DECISION_AWARD = Pattern.compile("release|refund|split");
  private static final Pattern UNIT_AWARD = Pattern.compile("release|refund");
  private static final int UNITS_MAX = 100;

  private final Disputes disputes;
  private final EvidenceBundles evidence;
  private final byte[] evidenceKey;

  private DisputeRoutes(Disputes disputes, EvidenceBundles evidence) {
    this.disputes = disputes;
    this.evidence = evidence;
    this.evidenceKey = Base64.getDecoder().decode(evidence.publicKey().getString("public_key"));
  }

  public static void mount(Endpoints endpoints, Disputes disputes, EvidenceBundles evidence) {
    DisputeRoutes routes = new DisputeRoutes(disputes, evidence);
    endpoints.get("getOrderEvidence", Caller.Kind.ADMIN, routes::orderEvidence);
    endpoints.get("listDisputes", Caller.Kind.ADMIN, request -> disputes
        .list(!"decided".equals(request.queryParam("state")), request.queryParam("cursor"))
        .map(Reply::ok));
    endpoints.post("decideDispute", Caller.Kind.ADMIN, routes::decide);
  }

  /**
   * Any order's signed evidence bundle for the arbiter, with its signature checked against the gateway's evidence
   * key the way any verifier would (canonical JSON, Ed25519), off the event loop: a bundle may hold many events.
   */
  private Future<Reply> orderEvidence(ApiRequest request) {
    String orderId = request.pathParam("id");
    return evidence.signed(orderId).compose(signed -> {
      if (signed == null) {
        return Future.failedFuture(OrderRoutes.notFound());
      }
      return request.routingContext().vertx().executeBlocking(() -> EvidenceBundles.verify(signed, evidenceKey), false)
          .map(verified -> Reply.ok(new JsonObject().put("verified", verified).put("evidence", signed)));
    });
  }

  private Future<Reply> decide(ApiRequest request) {
    Disputes.Decision decision = readDecision(JsonInput.of(request.body(), DECISION_FIELDS));
    return disputes.decide(request.pathParam("id"), decision).map(Reply::ok);
  }

  static Disputes.Decision readDecision(JsonInput in) {
    String award = in.requiredMatching("award", DECISION_AWARD, 16);
    List<JsonInput> units = Objects.requireNonNullElse(in.objects("units", 1, UNITS_MAX, UNIT_FIELDS), List.of());
    Map<Integer, Award> split = new TreeMap<>();
    for (JsonInput unit : units) {
      int index = (int) unit.requiredLong("index", 0, UNITS_MAX - 1);
      String unitAward = unit.requiredMatching("award", UNIT_AWARD, 16);
      if (unit.valid() && split.put(index, Award.fromCode(unitAward)) != null) {
        unit.reject("index", FieldError.Code.INVALID_VALUE, "names a unit already awarded");
      }
    }
    if ("split".equals(award) && units.isEmpty()) {
      in.reject("units", FieldError.Code.MISSING, "is required for a split: one award per unit");
    }
    if (award != null && !"split".equals(award) && !units.isEmpty()) {
      in.reject("units", FieldError.Code.INVALID_VALUE, "is only for a split; release and refund cover every unit");
    }
    in.done();
    return "split".equals(award) ? new Disputes.Decision(null, split) : new Disputes.Decision(Award.fromCode(award), Map.of());
  }
}
