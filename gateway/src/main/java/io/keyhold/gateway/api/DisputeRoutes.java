package io.keyhold.gateway.api;

import io.keyhold.escrow.Award;
import io.keyhold.gateway.engine.Disputes;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Operator API for disputes: {@code GET /admin/v1/disputes?state=open|decided&cursor=} and
 * {@code POST /admin/v1/disputes/{id}/decision} with {@code {award: release|refund|split, units?}}.
 */
final class DisputeRoutes {
  private static final Set<String> DECISION_FIELDS = Set.of("award", "units");
  private static final Set<String> UNIT_FIELDS = Set.of("index", "award");
  private static final Pattern DECISION_AWARD = Pattern.compile("release|refund|split");
  private static final Pattern UNIT_AWARD = Pattern.compile("release|refund");
  private static final int UNITS_MAX = 100;

  private final Disputes disputes;

  private DisputeRoutes(Disputes disputes) {
    this.disputes = disputes;
  }

  public static void mount(Endpoints endpoints, Disputes disputes) {
    DisputeRoutes routes = new DisputeRoutes(disputes);
    endpoints.get("listDisputes", Caller.Kind.ADMIN, request -> disputes
        .list(!"decided".equals(request.queryParam("state")), request.queryParam("cursor"))
        .map(Reply::ok));
    endpoints.post("decideDispute", Caller.Kind.ADMIN, routes::decide);
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
