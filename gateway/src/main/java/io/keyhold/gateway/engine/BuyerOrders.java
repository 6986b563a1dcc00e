package io.keyhold.gateway.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keyhold.escrow.Accounts;
import io.keyhold.escrow.EvidenceEvent;
import io.keyhold.escrow.EvidenceType;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.escrow.Posting;
import io.keyhold.escrow.Transition;
import io.keyhold.escrow.UnitState;
import io.keyhold.gateway.store.KeyedBatches;
import io.keyhold.gateway.store.OrderChanges;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.OrderViews;
import io.keyhold.gateway.store.Wire;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

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
  /** The detail of {@code order.compensated} that records what the deposit could not pay. */
  private static final String COMPENSATION_UNPAID = "unpaid";
  private static final String MERCHANT_ACCOUNT_PREFIX = "merchant:";
  /** The evidence details a timeline entry shows. */
  private static final String UNIT = "unit";
  private static final String VERDICT = "verdict";
  private static final String REASON = "reason";
  private static final Map<String, String> API_TYPES = apiTypes();
  /**
   * Orders whose view this instance read or carried forward lately, kept with what it showed beside them: enough for
   * every order of a flash sale in flight at once (a kept entry is ~3 KB), each for {@link #BESIDE_KEPT_FOR}.
   */
  public static final int BESIDES_KEPT_MAX = 4_096;
  /** Longer than a buyer takes from payment to confirmation in a spike; a later view reads again. */
  public static final Duration BESIDE_KEPT_FOR = Duration.ofMinutes(5);
  private static final String PAYABLE_ACCOUNT_SUFFIX = ":payable";

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
      + " (SELECT coalesce(json_agg(json_build_object('seq', e.seq, 'type', e.type, 'at', e.at, 'data', e.data)"
      + "   ORDER BY e.seq),"
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

  // What views showed beside orders, at the version each stands for: read with the order, or carried forward by the
  // changes this instance stored since (see carry). A view after a change of its own then reads nothing.
  private final Cache<String, Kept> kept =
      Caffeine.newBuilder().maximumSize(BESIDES_KEPT_MAX).expireAfterWrite(BESIDE_KEPT_FOR).build();
  private final AtomicLong viewsCarried = new AtomicLong();

  /** An order in hand, as its view's rows beside it are found. */
  private record OrderRef(String merchantId, String orderId, String skuId) {}

  /** What the view of an order showed beside it at {@code version}. */
  private record Kept(long version, Beside beside) {}

  public BuyerOrders(Pool pool, OrderStore orders, KeyOpener keys) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.orders = Objects.requireNonNull(orders, "orders");
    this.keys = Objects.requireNonNull(keys, "keys");
    orders.changes().listenStored(this::carry);
  }

  public OrderStore store() {
    return orders;
  }

  /** The buyer's view of the order, or null when there is none. */
  public Future<JsonObject> view(String orderId, boolean withKeys) {
    return read(orderId).compose(read -> read == null ? Future.succeededFuture(null)
        : view(read.order(), read.beside(), withKeys));
  }

  /**
   * The order and what its view shows beside it, read in one statement (one snapshot); null when there is none. Kept
   * for the changes to come ({@link #carried}).
   */
  private Future<Read> read(String orderId) {
    return ordersById.ask(orderId).map(row -> {
      if (row == null) {
        return null;
      }
      Read read = new Read(OrderStore.toStored(row).order(), Beside.of(row));
      long version = read.order().version();
      kept.asMap().merge(orderId, new Kept(version, read.beside()),
          (old, fresh) -> old.version() > fresh.version() ? old : fresh);
      return read;
    });
  }

  /**
   * What the view of {@code order} shows beside it, without reading, when this instance read it at that version or
   * stored every change since it last read it; else null.
   */
  private Beside carried(Order order) {
    Kept at = kept.getIfPresent(order.id());
    if (at == null || at.version() != order.version()) {
      return null;
    }
    viewsCarried.incrementAndGet();
    return at.beside();
  }

  /** Views made without reading what they show beside the order ({@link #carried}), for tests. */
  public long viewsCarried() {
    return viewsCarried.get();
  }

  /**
   * Carries what the order's view showed beside it forward by a change this instance stored, when it was kept at the
   * version the change was decided on; a change known only by its result (the sweeper's), or one decided on another
   * version, leaves nothing kept that could be older than the order.
   */
  private void carry(OrderChanges.Stored stored) {
    Order order = stored.order();
    kept.asMap().computeIfPresent(order.id(), (id, old) -> {
      if (old.version() >= order.version()) {
        return old;
      }
      if (stored.change() == null || old.version() != stored.fromVersion()) {
        return null;
      }
      Beside after = old.beside().after(stored.change());
      return after == null ? null : new Kept(order.version(), after);
    });
  }

  /** An order and what its view shows beside it, of one snapshot. */
  private record Read(Order order, Beside beside) {
    Read {
      Objects.requireNonNull(order, "order");
      Objects.requireNonNull(beside, "beside");
    }
  }

  /**
   * What a view shows beside the order: the names, the money its own ledger postings moved and the refunds sent for
   * it, and the newest evidence events (oldest first; {@code evidenceSeq} the last one's number, 0 for none). Read
   * with the order ({@link #BESIDE}), or carried forward by a change this instance stored ({@link #after}): the
   * stored change's postings and evidence are all the view's money and timeline gained. The names are those of the
   * last read: a rename shows in the views after the next.
   */
  record Beside(String merchantName, String skuName, long refundedMinor, long releasedMinor,
      long refundSentMinor, long compensatedMinor, long compensationUnpaidMinor, List<TimelineEvent> timeline,
      long evidenceSeq) {
    Beside {
      timeline = List.copyOf(timeline);
      assert timeline.size() <= TIMELINE_EVENTS_MAX : "a timeline of " + timeline.size() + " events";
    }

    static Beside of(Row row) {
      List<TimelineEvent> timeline = timelineOf(row);
      long lastSeq = timeline.isEmpty() ? 0 : timeline.get(timeline.size() - 1).seq();
      return new Beside(row.getString("merchant_name"), row.getString("sku_name"), row.getLong("refunded_minor"),
          row.getLong("released_minor"), row.getLong("refund_sent_minor"), row.getLong("compensated_minor"),
          row.getLong("compensation_unpaid_minor"), timeline, lastSeq);
    }

    /**
     * This, after a change stored right after the snapshot it stands for: its postings added to the sums, its
     * evidence to the timeline. Null when the change's evidence does not carry on from {@link #evidenceSeq} (some
     * change came between, or none was recorded), and the view must be read again.
     */
    Beside after(Transition change) {
      List<EvidenceEvent> evidence = change.evidence();
      if (evidence.isEmpty() || evidence.get(0).seq() != evidenceSeq + 1) {
        return null;
      }
      long refunded = refundedMinor;
      long released = releasedMinor;
      long compensated = compensatedMinor;
      for (Posting posting : change.postings()) {
        String account = posting.account();
        long minor = posting.amount().minorUnits();
        if (account.equals(Accounts.REFUNDS_OUT)) {
          refunded += minor;
        } else if (account.equals(Accounts.PLATFORM_FEES) || isMerchantPayable(account)) {
          released += minor;
        } else if (account.equals(Accounts.COMPENSATIONS_OUT)) {
          compensated += minor;
        }
      }
      long unpaid = compensationUnpaidMinor;
      List<TimelineEvent> events = new ArrayList<>(timeline);
      long seq = evidenceSeq;
      for (EvidenceEvent event : evidence) {
        if (event.seq() != seq + 1) {
          return null;
        }
        seq = event.seq();
        Map<String, String> details = event.details();
        events.add(new TimelineEvent(seq, apiType(event.type().code()), event.at(), details.get(UNIT),
            details.get(VERDICT), details.get(REASON)));
        if (event.type() == EvidenceType.ORDER_COMPENSATED) {
          unpaid += unpaidMinor(event.details().get(COMPENSATION_UNPAID));
        }
      }
      List<TimelineEvent> newest = events.subList(Math.max(0, events.size() - TIMELINE_EVENTS_MAX), events.size());
      return new Beside(merchantName, skuName, refunded, released, refundSentMinor, compensated, unpaid, newest, seq);
    }

    /** {@code account LIKE 'merchant:%:payable'}, as {@link #BESIDE} sums it. */
    private static boolean isMerchantPayable(String account) {
      return account.startsWith(MERCHANT_ACCOUNT_PREFIX) && account.endsWith(PAYABLE_ACCOUNT_SUFFIX)
          && account.length() >= MERCHANT_ACCOUNT_PREFIX.length() + PAYABLE_ACCOUNT_SUFFIX.length();
    }

    /** The minor units of {@code order.compensated}'s {@code unpaid} ({@code '<minor units> <currency>'}), as summed. */
    private static long unpaidMinor(String unpaid) {
      if (unpaid == null) {
        return 0;
      }
      int space = unpaid.indexOf(' ');
      return Long.parseLong(space < 0 ? unpaid : unpaid.substring(0, space));
    }
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

  /**
   * The view of {@code order} as stored, with what it shows beside it: carried forward from this instance's last read
   * when it can be ({@link #carried}), else read.
   */
  public Future<JsonObject> view(Order order, boolean withKeys) {
    Beside carried = carried(order);
    if (carried != null) {
      return view(order, carried, withKeys);
    }
    return besides.ask(new OrderRef(order.merchantId(), order.id(), order.skuId()))
        .compose(beside -> view(order, beside, withKeys));
  }

  private Future<JsonObject> view(Order order, Row beside, boolean withKeys) {
    return view(order, Beside.of(beside), withKeys);
  }

  private Future<JsonObject> view(Order order, Beside beside, boolean withKeys) {
    List<String> visible = withKeys ? order.keyRefsVisibleToBuyer() : List.of();
    Future<Map<String, String>> opened = visible.isEmpty()
        ? Future.succeededFuture(Map.of())
        : keys.open(order.merchantId(), order.id(), visible);
    return opened.map(openedKeys -> render(order, beside, openedKeys, orders.now()));
  }

  static JsonObject render(Order order, Beside extras, Map<String, String> openedKeys, Instant now) {
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
    long refunded = extras.refundedMinor();
    long refundSent = extras.refundSentMinor();
    JsonObject deadlines = EvidenceBundles.deadlines(order);
    Object nextActionAt = deadlines.remove("next_action_at");
    return OrderViews.price(new JsonObject()
        .put("id", order.id())
        .put("state", order.state().code())
        .put("version", order.version())
        .put("merchant", new JsonObject().put("id", order.merchantId()).put("name", extras.merchantName()))
        .put("sku", new JsonObject().put("id", order.skuId()).put("name", extras.skuName())), order)
        .put("units", units)
        .put("placed_at", Wire.time(order.placedAt()))
        .put("funded_at", Wire.time(order.fundedAt()))
        .put("revealed_at", Wire.time(order.revealedAt()))
        .put("deadlines", deadlines)
        .put("next_action_at", nextActionAt)
        .put("refunded", Wire.money(refunded, currency))
        .put("refund_status", refunded == 0 ? "none" : refundSent >= refunded ? "sent" : "pending")
        .put("released", Wire.money(extras.releasedMinor(), currency))
        .put("compensation", new JsonObject()
            .put("paid", Wire.money(extras.compensatedMinor(), currency))
            .put("unpaid", Wire.money(extras.compensationUnpaidMinor(), currency)))
        .put("dispute", OrderViews.dispute(order, false))
        .put("timeline", timeline(extras.timeline()))
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

  /**
   * An evidence event as the timeline shows it: its API name ({@link #apiType}), time, and the details it shows. Kept
   * small, since the views of orders in flight keep their newest events ({@link #BESIDES_KEPT_MAX}).
   */
  record TimelineEvent(long seq, String type, Instant at, String unit, String verdict, String reason) {
    TimelineEvent {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(at, "at");
    }

    /** An event of the timeline column ({@code seq, type, at, data}). */
    static TimelineEvent of(JsonObject event) {
      JsonObject data = event.getJsonObject("data");
      return new TimelineEvent(event.getLong("seq"), apiType(event.getString("type")),
          Wire.instant(event.getString("at")), data.getString(UNIT), data.getString(VERDICT), data.getString(REASON));
    }
  }

  /** The timeline column read (PostgreSQL sends {@code json} as text). */
  private static List<TimelineEvent> timelineOf(Row row) {
    Object value = row.getValue("timeline");
    JsonArray events = value instanceof JsonArray array ? array : new JsonArray(String.valueOf(value));
    List<TimelineEvent> timeline = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      timeline.add(TimelineEvent.of(events.getJsonObject(i)));
    }
    return timeline;
  }

  /**
   * The timeline: evidence events, oldest first, with API names ({@code keys.delivered}, {@code resupply.requested});
   * unit events of one type at one instant merge into one entry listing the units.
   */
  static JsonArray timeline(List<TimelineEvent> oldestFirst) {
    JsonArray timeline = new JsonArray();
    JsonObject last = null;
    TimelineEvent lastEvent = null;
    for (TimelineEvent event : oldestFirst) {
      String unit = event.unit();
      if (unit != null && last != null && event.type().equals(lastEvent.type()) && event.at().equals(lastEvent.at())
          && Objects.equals(event.verdict(), lastEvent.verdict()) && last.containsKey("units")) {
        last.getJsonArray("units").add(Integer.parseInt(unit));
        continue;
      }
      JsonObject entry = new JsonObject().put("type", event.type()).put("at", Wire.time(event.at()));
      if (unit != null) {
        entry.put("units", new JsonArray().add(Integer.parseInt(unit)));
      }
      if (event.verdict() != null) {
        entry.put("verdict", event.verdict());
      }
      if (event.reason() != null) {
        entry.put("reason", event.reason());
      }
      timeline.add(entry);
      last = entry;
      lastEvent = event;
    }
    return timeline;
  }

  /**
   * The timeline name of an evidence type (docs/order-life.md): the evidence code, but for two that read better; the
   * one String of each known type, so that kept timelines share them.
   */
  static String apiType(String evidenceCode) {
    String known = API_TYPES.get(evidenceCode);
    return known != null ? known : evidenceCode;
  }

  private static Map<String, String> apiTypes() {
    Map<String, String> names = new HashMap<>();
    for (EvidenceType type : EvidenceType.values()) {
      names.put(type.code(), type.code());
    }
    names.put(EvidenceType.UNIT_KEY_DELIVERED.code(), "keys.delivered");
    names.put(EvidenceType.UNIT_REPLACEMENT_REQUESTED.code(), "resupply.requested");
    return Map.copyOf(names);
  }
}
