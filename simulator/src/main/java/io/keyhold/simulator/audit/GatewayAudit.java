package io.keyhold.simulator.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the gateway's own audit ({@code GET /admin/v1/audit}: {@code {ok, invariants: [{id, name, ok,
 * violations: [order ids]}], totals}}) into violations. Strict: an answer that does not say
 * {@code ok: true} in a readable way is a violation, never a pass.
 */
public final class GatewayAudit {
  private GatewayAudit() {}

  public static List<Violation> violations(JsonObject answer) {
    List<Violation> violations = new ArrayList<>();
    if (answer == null) {
      violations.add(Violation.of(ViolationCodes.GATEWAY_AUDIT_UNAVAILABLE, "no answer", List.of()));
      return violations;
    }
    Object ok = answer.getValue("ok");
    if (!(ok instanceof Boolean)) {
      violations.add(Violation.of(ViolationCodes.GATEWAY_AUDIT_UNAVAILABLE,
          "the audit answer has no boolean 'ok'", List.of()));
      return violations;
    }
    if (answer.getValue("invariants") instanceof JsonArray invariants) {
      for (Object item : invariants) {
        if (!(item instanceof JsonObject invariant)) {
          continue;
        }
        if (Boolean.TRUE.equals(invariant.getValue("ok"))) {
          continue;
        }
        Object id = invariant.getValue("id");
        String name = invariant.getValue("name") instanceof String text ? text : "unnamed invariant";
        List<String> orders = new ArrayList<>();
        if (invariant.getValue("violations") instanceof JsonArray listed) {
          for (Object entry : listed) {
            if (entry instanceof String orderId) {
              orders.add(orderId);
            } else if (entry instanceof JsonObject object && object.getValue("order_id") instanceof String orderId) {
              orders.add(orderId);
            } else if (entry != null) {
              orders.add(String.valueOf(entry));
            }
          }
        }
        int count = invariant.getValue("violation_count") instanceof Number n ? n.intValue() : orders.size();
        List<String> listed = orders.subList(0, Math.min(orders.size(), Violation.ORDER_IDS_MAX));
        violations.add(new Violation(ViolationCodes.GATEWAY_INVARIANT_PREFIX + id,
            "the gateway's audit reports invariant " + id + " (" + name + ") broken for " + count + " order(s)",
            listed, Math.max(count, orders.size())));
      }
    }
    if (Boolean.FALSE.equals(ok) && violations.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.GATEWAY_AUDIT_NOT_OK,
          "the gateway's audit says ok: false without naming a broken invariant", List.of()));
    }
    return violations;
  }
}
