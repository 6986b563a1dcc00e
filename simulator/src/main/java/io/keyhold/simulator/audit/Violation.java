package io.keyhold.simulator.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * One broken invariant found by the audit, with the orders it concerns (at most
 * {@link #ORDER_IDS_MAX} listed; {@link #orderCount()} says how many there were).
 *
 * @param code a stable code ({@code key_to_two_buyers}, {@code gateway_invariant_7}, ...)
 * @param detail what was seen, without any key or token
 * @param orderIds the orders concerned, first ones
 * @param orderCount how many orders were concerned
 */
public record Violation(String code, String detail, List<String> orderIds, int orderCount) {
  public static final int ORDER_IDS_MAX = 100;

  public Violation {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(detail, "detail");
    orderIds = List.copyOf(orderIds);
  }

  /** A violation about these orders; keeps the first {@link #ORDER_IDS_MAX}. */
  public static Violation of(String code, String detail, Collection<String> orders) {
    List<String> all = List.copyOf(orders);
    return new Violation(code, detail, all.subList(0, Math.min(all.size(), ORDER_IDS_MAX)), all.size());
  }

  public JsonObject toJson() {
    return new JsonObject().put("code", code).put("detail", detail).put("order_count", orderCount)
        .put("orders", new JsonArray(orderIds));
  }
}
