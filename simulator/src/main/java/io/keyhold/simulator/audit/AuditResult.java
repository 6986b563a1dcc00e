package io.keyhold.simulator.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The audit of a run: every violation found (by the gateway's audit and by the simulator's books),
 * the gateway's raw answer, and the books' money totals.
 */
public record AuditResult(List<Violation> violations, JsonObject gatewayAnswer, Books.Totals totals) {
  public AuditResult {
    violations = List.copyOf(violations);
  }

  public boolean ok() {
    return violations.isEmpty();
  }

  public JsonObject toJson() {
    JsonArray list = new JsonArray();
    violations.forEach(v -> list.add(v.toJson()));
    return new JsonObject().put("ok", ok()).put("violations", list).put("books", totals.toJson())
        .put("gateway", gatewayAnswer);
  }
}
