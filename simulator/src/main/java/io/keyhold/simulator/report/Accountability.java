package io.keyhold.simulator.report;

import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.client.Amount;
import io.keyhold.simulator.client.OrderView;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * What the shops were held to account for in a run: compensation their deposits paid, orders their
 * backup sources saved, and each shop's reliability score as the gateway publishes it.
 *
 * @param ordersCompensated orders whose buyer was paid compensation (from the orders' last views)
 * @param compensationsMinor compensation paid, summed over the orders' last views
 * @param unpaidMinor compensation owed that the deposits could not pay
 * @param gatewayCompensationsMinor compensation paid out of deposits by the gateway's ledger (its audit totals), or
 *     -1 when the audit did not say
 * @param ordersSwitched orders with a unit moved to a backup source
 * @param ordersSavedByBackup of those, orders that ended with their keys (released, ready or in inspection), not
 *     refunded
 * @param scores each shop's reliability
 */
public record Accountability(int ordersCompensated, long compensationsMinor, long unpaidMinor,
    long gatewayCompensationsMinor, int ordersSwitched, int ordersSavedByBackup, List<ShopScore> scores) {
  public static final String SOURCE_SWITCHED = "unit.source_switched";
  /** Order states in which the buyer holds the keys: a switched order in one was saved by its backup. */
  static final Set<String> SAVED_STATES = Set.of(OrderView.RELEASED, OrderView.READY, OrderView.INSPECTION);

  public Accountability {
    scores = List.copyOf(scores);
  }

  /** Counts compensation and backups over the orders' last views; the gateway's audit gives its own total. */
  public static Accountability of(List<Books.Entry> entries, JsonObject gatewayAudit, String currency,
      List<ShopScore> scores) {
    int compensated = 0;
    long paid = 0;
    long unpaid = 0;
    int switched = 0;
    int saved = 0;
    for (Books.Entry entry : entries) {
      OrderView view = entry.last();
      if (view == null) {
        continue;
      }
      long orderPaid = minor(view.compensationPaid());
      if (orderPaid > 0) {
        compensated++;
        paid += orderPaid;
      }
      unpaid += minor(view.compensationUnpaid());
      if (view.timeline().containsKey(SOURCE_SWITCHED)) {
        switched++;
        if (SAVED_STATES.contains(view.state())) {
          saved++;
        }
      }
    }
    return new Accountability(compensated, paid, unpaid, gatewayCompensations(gatewayAudit, currency), switched,
        saved, scores);
  }

  private static long minor(Amount amount) {
    return amount == null ? 0 : amount.minor();
  }

  static long gatewayCompensations(JsonObject gatewayAudit, String currency) {
    if (gatewayAudit == null || !(gatewayAudit.getValue("totals") instanceof JsonObject totals)
        || !(totals.getValue("by_currency") instanceof JsonObject byCurrency)
        || !(byCurrency.getValue(currency) instanceof JsonObject money)
        || !(money.getValue("compensations") instanceof Number compensations)) {
      return -1;
    }
    return compensations.longValue();
  }

  public JsonObject toJson() {
    JsonArray scoreJson = new JsonArray();
    scores.forEach(score -> scoreJson.add(score.toJson()));
    return new JsonObject().put("orders_compensated", ordersCompensated).put("compensations_paid", compensationsMinor)
        .put("compensations_unpaid", unpaidMinor).put("gateway_compensations", gatewayCompensationsMinor)
        .put("orders_switched_to_backup", ordersSwitched).put("orders_saved_by_backup", ordersSavedByBackup)
        .put("scores", scoreJson);
  }

  /**
   * One shop's {@code GET /v1/merchants/{id}/reliability}.
   *
   * @param shop the shop's index in the run
   * @param role {@code primary} (an http shop with backup sources), {@code backup} or {@code shop}
   * @param score 0 to 100, or null: not enough data
   * @param deliveries units delivered or missed (the score's sample)
   * @param deliveriesMin deliveries needed for a score
   * @param onTimeRate share of first keys on time, or null
   * @param invalidRate share of keys found invalid, or null
   */
  public record ShopScore(int shop, String role, String merchantId, Integer score, boolean enoughData,
      long deliveries, long deliveriesMin, Double onTimeRate, Double invalidRate) {
    public static ShopScore of(int shop, String role, String merchantId, JsonObject reliability) {
      JsonObject delivery = reliability.getJsonObject("delivery", new JsonObject());
      JsonObject keys = reliability.getJsonObject("keys", new JsonObject());
      return new ShopScore(shop, role, merchantId,
          reliability.getValue("score") instanceof Number n ? n.intValue() : null,
          Boolean.TRUE.equals(reliability.getValue("enough_data")),
          delivery.getValue("sample") instanceof Number n ? n.longValue() : 0,
          reliability.getValue("deliveries_min") instanceof Number n ? n.longValue() : 0,
          delivery.getValue("on_time_rate") instanceof Number n ? n.doubleValue() : null,
          keys.getValue("invalid_rate") instanceof Number n ? n.doubleValue() : null);
    }

    /** The score as the report says it: a number, or "not enough data (n of m deliveries)". */
    public String describe() {
      return score != null ? score + "/100 (" + deliveries + " deliveries)"
          : "not enough data (" + deliveries + " of " + deliveriesMin + " deliveries)";
    }

    public JsonObject toJson() {
      return new JsonObject().put("shop", shop).put("role", role).put("merchant_id", merchantId).put("score", score)
          .put("enough_data", enoughData).put("deliveries", deliveries).put("deliveries_min", deliveriesMin)
          .put("on_time_rate", onTimeRate).put("invalid_rate", invalidRate);
    }
  }
}
