package io.keyhold.gateway.engine;

import io.keyhold.escrow.EvidenceType;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.escrow.UnitState;
import io.keyhold.gateway.store.KeyedBatches;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.OrderViews;
import io.keyhold.gateway.store.Wire;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The buyer's side of an order: the view of {@code GET /v1/buyer/orders/{id}} (openapi.yaml) and the
 * buyer's events (reveal, confirm, cancel, dispute) applied through the {@link OrderStore}.
 *
 * <p>A key appears in a view only when asked for ({@code withKeys}) and only for the units escrow-core
 * lets the buyer see ({@link Order#keyRefsVisibleToBuyer()}: checked valid, after the reveal). Views
 * pushed over server-sent events never carry keys.
 */
public final class BuyerOrders {
  /** The newest evidence events turned into the timeline; older ones stay in the evidence bundle. */
  public static final int TIMELINE_EVENTS_MAX = 500;

  /**
   * What a view shows beside the order, for the order {@code o}: names, money moved, and the timeline (the
   * newest {@link #TIMELINE_EVENTS_MAX} evidence events, oldest first, as JSON).
   */
  private static final String BESIDE = "(SELECT name FROM merchants WHERE id = o.merchant_id) AS merchant_name,"
      + " (SELECT name FROM skus WHERE merchant_id = o.merchant_id AND id = o.sku_id) AS sku_name,"
      + " (SELECT coalesce(sum(amount_minor), 0) FROM ledger_postings"
      + "   WHERE merchant_id = o.merchant_id AND order_id = o.id AND account = 'refunds:out') AS refunded_minor,"
      + " (SELECT coalesce(sum(amount_minor), 0) FROM ledger_postings WHERE merchant_id = o.merchant_id"
      + "   AND order_id = o.id AND (account = 'platform:fees' OR account LIKE 'merchant:%:payable'))"
      + "   AS released_minor,"
      + " (SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE merchant_id = o.merchant_id AND order_id = o.id)"
      + "   AS refund_sent_minor,"
      + " (SELECT coalesce(sum(amount_minor), 0) FROM ledger_postings"
      + "   WHERE merchant_id = o.merchant_id AND order_id = o.id AND account = 'compensations:out') AS compensated_minor,"
      // order.compensated records 'unpaid' as '<minor units> <currency>' (escrow-core's canonical money).
      + " (SELECT coalesce(sum(split_part(data->>'unpaid', ' ', 1)::bigint), 0) FROM evidence_events"
      + "   WHERE merchant_id = o.merchant_id AND order_id = o.id AND type = 'order.compensated')"
      + "   AS compensation_unpaid_minor,"
      + " (SELECT coalesce(json_agg(json_build_object('type', e.type, 'at', e.at, 'data', e.data) ORDER BY e.seq),"
      + "   '[]'::json) FROM (SELECT seq, type, at, data FROM evidence_events WHERE merchant_id = o.merchant_id"
      + "   AND order_id = o.id ORDER BY seq DESC LIMIT " + TIMELINE_EVENTS_MAX + ") e) AS timeline";
  /** Orders ($1: their ids) and what their views show beside them, in one statement. */
  private static final String ORDER_AND_BESIDE = "SELECT " + OrderStore.columns("o") + ", " + BESIDE
      + " FROM orders o WHERE o.id = ANY($1::text[])";
  /** What the views of orders already in hand show beside them ($1..$3: merchant, order and SKU ids). */
  private static final String BESIDE_ORDER = "SELECT o.id AS order_id, " + BESIDE
      + " FROM unnest($1::text[], $2::text[], $3::text[]) AS o(merchant_id, id, sku_id)";

  private final Pool pool;
  private final OrderStore orders;
  private final KeyOpener keys;
  // Views are read in batches: in a spike every page and event stream asks for one, and each asked alone cost
  // PostgreSQL a statement of its own (six of a lifecycle's thirty-two).
  private final KeyedBatches<String, Row> ordersById = new KeyedBatches<>(this::ordersAndBeside, KeyedBatches.KEYS_MAX);
  private final KeyedBatches<OrderRef, Row> besides = new KeyedBatches<>(this::beside, KeyedBatches.KEYS_MAX);

  /** An order in hand, as its view's rows beside it are found. */
  private record OrderRef(String merchantId, String orderId, String skuId) {}

  public BuyerOrders(Pool pool, OrderStore orders, KeyOpener keys) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.orders = Objects.requireNonNull(orders, "orders");
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  public OrderStore store() {
    return orders;
  }

  /** The buyer's view of the order, or null when there is none. */
  public Future<JsonObject> view(String orderId, boolean withKeys) {
    return ordersById.ask(orderId).compose(row -> row == null ? Future.succeededFuture(null)
        : view(OrderStore.toStored(row).order(), row, withKeys));
  }

  private Future<Map<String, Row>> ordersAndBeside(List<String> orderIds) {
    return pool.preparedQuery(ORDER_AND_BESIDE).execute(Tuple.tuple().addArrayOfString(orderIds.toArray(String[]::new)))
        .map(rows -> KeyedBatches.byKey(rows, row -> row.getString("id"), row -> row));
  }

  private Future<Map<OrderRef, Row>> beside(List<OrderRef> refs) {
    Tuple args = Tuple.tuple().addArrayOfString(refs.stream().map(OrderRef::merchantId).toArray(String[]::new))
        .addArrayOfString(refs.stream().map(OrderRef::orderId).toArray(String[]::new))
        .addArrayOfString(refs.stream().map(OrderRef::skuId).toArray(String[]::new));
    Map<String, OrderRef> byId = new HashMap<>();
    refs.forEach(ref -> byId.put(ref.orderId(), ref));
    return pool.preparedQuery(BESIDE_ORDER).execute(args)
        .map(rows -> KeyedBatches.byKey(rows, row -> byId.get(row.getString("order_id")), row -> row));
  }

  /**
   * Applies a buyer's event; answers the view after it (with keys when asked). A rejection fails
   * with the order's {@link Refusal} and changes nothing. The change is stored only through {@code gate} (the
   * request's Idempotency-Key claim; null: none), which fails it, changing nothing, when closed.
   */
  public Future<JsonObject> act(String orderId, OrderEvent event, boolean withKeys, OrderStore.Gate gate) {
    return orders.apply(orderId, null, OrderStore.Decision.events(List.of(event), gate))
        .compose(applied -> {
          if (!applied.found()) {
            return Future.failedFuture(Refusal.of(Refusal.Code.NOT_FOUND, "No such order"));
          }
          if (applied.rejection() != null) {
            return Future.failedFuture(Refusal.byOrder(applied.rejection().code(),
                applied.rejection().detail()));
          }
          return view(applied.after().order(), withKeys);
        });
  }

  /** The view of {@code order} as stored, with the rows beside it. */
  public Future<JsonObject> view(Order order, boolean withKeys) {
    return besides.ask(new OrderRef(order.merchantId(), order.id(), order.skuId()))
        .compose(beside -> view(order, beside, withKeys));
  }

  private Future<JsonObject> view(Order order, Row beside, boolean withKeys) {
    List<String> visible = withKeys ? order.keyRefsVisibleToBuyer() : List.of();
    Future<Map<String, String>> opened = visible.isEmpty()
        ? Future.succeededFuture(Map.of())
        : keys.open(order.merchantId(), order.id(), visible);
    return opened.map(openedKeys -> render(order, beside, openedKeys, orders.now()));
  }

  static JsonObject render(Order order, Row extras, Map<String, String> openedKeys, Instant now) {
    String currency = order.unitPrice().currency().getCurrencyCode();
    JsonArray units = new JsonArray();
    boolean revealed = order.revealedAt() != null;
    for (OrderUnit unit : order.units()) {
      String key = unit.keyRef() == null ? null : openedKeys.get(unit.keyRef());
      boolean shown = unit.state() == UnitState.VALID || unit.state() == UnitState.RELEASED;
      units.add(OrderViews.unit(unit, false, null, false)
          .put("sealed", shown && !revealed)
          .put("key", shown && revealed ? key : null));
    }
    long refunded = extras.getLong("refunded_minor");
    long refundSent = extras.getLong("refund_sent_minor");
    JsonObject deadlines = EvidenceBundles.deadlines(order);
    Object nextActionAt = deadlines.remove("next_action_at");
    return OrderViews.price(new JsonObject()
        .put("id", order.id())
        .put("state", order.state().code())
        .put("version", order.version())
        .put("merchant", new JsonObject().put("id", order.merchantId()).put("name", extras.getString("merchant_name")))
        .put("sku", new JsonObject().put("id", order.skuId()).put("name", extras.getString("sku_name"))), order)
        .put("units", units)
        .put("placed_at", Wire.time(order.placedAt()))
        .put("funded_at", Wire.time(order.fundedAt()))
        .put("revealed_at", Wire.time(order.revealedAt()))
        .put("deadlines", deadlines)
        .put("next_action_at", nextActionAt)
        .put("refunded", Wire.money(refunded, currency))
        .put("refund_status", refunded == 0 ? "none" : refundSent >= refunded ? "sent" : "pending")
        .put("released", Wire.money(extras.getLong("released_minor"), currency))
        .put("compensation", new JsonObject()
            .put("paid", Wire.money(extras.getLong("compensated_minor"), currency))
            .put("unpaid", Wire.money(extras.getLong("compensation_unpaid_minor"), currency)))
        .put("dispute", OrderViews.dispute(order, false))
        .put("timeline", timeline(timelineOf(extras)))
        .put("actions", actions(order, now))
        .put("server_time", Wire.time(now));
  }

  /** What the buyer may do now; mirrors escrow-core's rules so the page offers only what works. */
  static JsonObject actions(Order order, Instant now) {
    OrderState state = order.state();
    boolean revealed = order.revealedAt() != null;
    boolean anyReleased = order.units().stream().anyMatch(u -> u.state() == UnitState.RELEASED);
    boolean reveal = !revealed && (state == OrderState.READY
        || ((state == OrderState.RELEASED || state == OrderState.PARTIALLY_REFUNDED) && anyReleased));
    boolean cancel = state == OrderState.FUNDED || state == OrderState.VALIDATING
        || state == OrderState.RESUPPLYING || state == OrderState.READY;
    // Confirmation and disputes are open exactly while the window the buyer is shown is open.
    boolean windowOpen = state == OrderState.INSPECTION && now.isBefore(order.inspectionEndsAt());
    boolean dispute = windowOpen && order.dispute() == null;
    return new JsonObject()
        .put("reveal", reveal)
        .put("confirm", windowOpen)
        .put("cancel", cancel)
        .put("dispute", dispute);
  }

  /** The timeline column read as JSON (PostgreSQL sends {@code json} as text). */
  private static JsonArray timelineOf(Row row) {
    Object value = row.getValue("timeline");
    return value instanceof JsonArray array ? array : new JsonArray(String.valueOf(value));
  }

  /**
   * The timeline: evidence events ({@code type, at, data}, oldest first) with API names
   * ({@code keys.delivered}, {@code resupply.requested}); unit events of one type at one instant merge into
   * one entry listing the units.
   */
  static JsonArray timeline(JsonArray oldestFirst) {
    JsonArray timeline = new JsonArray();
    JsonObject last = null;
    for (int i = 0; i < oldestFirst.size(); i++) {
      JsonObject event = oldestFirst.getJsonObject(i);
      String type = apiType(event.getString("type"));
      String at = Wire.time(Wire.instant(event.getString("at")));
      JsonObject data = event.getJsonObject("data");
      String unit = data.getString("unit");
      String verdict = data.getString("verdict");
      if (unit != null && last != null && type.equals(last.getString("type")) && at.equals(last.getString("at"))
          && Objects.equals(verdict, last.getString("verdict")) && last.containsKey("units")) {
        last.getJsonArray("units").add(Integer.parseInt(unit));
        continue;
      }
      JsonObject entry = new JsonObject().put("type", type).put("at", at);
      if (unit != null) {
        entry.put("units", new JsonArray().add(Integer.parseInt(unit)));
      }
      if (verdict != null) {
        entry.put("verdict", verdict);
      }
      String reason = data.getString("reason");
      if (reason != null) {
        entry.put("reason", reason);
      }
      timeline.add(entry);
      last = entry;
    }
    return timeline;
  }

  /** The timeline name of an evidence type (docs/order-life.md): the evidence code, but for two that read better. */
  static String apiType(String evidenceCode) {
    if (EvidenceType.UNIT_KEY_DELIVERED.code().equals(evidenceCode)) {
      return "keys.delivered";
    }
    if (EvidenceType.UNIT_REPLACEMENT_REQUESTED.code().equals(evidenceCode)) {
      return "resupply.requested";
    }
    return evidenceCode;
  }
}
