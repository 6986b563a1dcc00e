package io.keyhold.gateway.engine;

import io.keyhold.escrow.Award;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.gateway.store.OptionalFilters;
import io.keyhold.gateway.store.OrderCodec;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.OrderViews;
import io.keyhold.gateway.store.Wire;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Disputes for the operator: the list, and the arbiter's decision applied as escrow-core's
 * {@link OrderEvent.ArbiterDecided} through the {@link OrderStore}.
 *
 * <p>A dispute lives inside its order (an order has at most one), so its id is derived from the
 * order's: {@code dsp_<the order id's random part>}. Nothing else is stored for it.
 */
public final class Disputes {
  public static final String ID_PREFIX = "dsp_";
  public static final String ORDER_PREFIX = "ord_";
  /** Items per page of the list. */
  public static final int PAGE_MAX = 50;
  public static final int CURSOR_LENGTH_MAX = 200;

  /** A page, after the previous page's last dispute when a cursor is given. */
  private static final List<String> AFTER = List.of("(updated_at, id) < (?, ?)");
  private static final String PAGE = "ORDER BY updated_at DESC, id DESC LIMIT " + (PAGE_MAX + 1);
  private static final OptionalFilters OPEN = new OptionalFilters("SELECT data, updated_at, id FROM orders"
      + " WHERE state = 'disputed'", 0, AFTER, PAGE);
  private static final OptionalFilters DECIDED = new OptionalFilters("SELECT data, updated_at, id FROM orders"
      + " WHERE state <> 'disputed' AND jsonb_typeof(data -> 'dispute') = 'object'", 0, AFTER, PAGE);

  private final Pool pool;
  private final OrderStore orders;

  public Disputes(Pool pool, OrderStore orders) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.orders = Objects.requireNonNull(orders, "orders");
  }

  /** The dispute id of an order. */
  public static String disputeId(String orderId) {
    if (!orderId.startsWith(ORDER_PREFIX)) {
      throw new IllegalArgumentException("not an order id: " + orderId);
    }
    return ID_PREFIX + orderId.substring(ORDER_PREFIX.length());
  }

  /** The order id of a dispute id. */
  public static String orderId(String disputeId) {
    if (!disputeId.startsWith(ID_PREFIX)) {
      throw new IllegalArgumentException("not a dispute id: " + disputeId);
    }
    return ORDER_PREFIX + disputeId.substring(ID_PREFIX.length());
  }

  /** One page of open (or decided) disputes, newest first; {@code cursor} from the previous page or null. */
  public Future<JsonObject> list(boolean open, String cursor) {
    Tuple after = cursor == null ? Tuple.tuple() : decodeCursor(cursor);
    String page = (open ? OPEN : DECIDED).statement(cursor != null);
    return pool.preparedQuery(page).execute(after).map(rows -> {
      JsonArray items = new JsonArray();
      String next = null;
      int seen = 0;
      for (Row row : rows) {
        if (++seen > PAGE_MAX) {
          break;
        }
        items.add(item(OrderCodec.decode(row.getJsonObject("data"))));
        if (seen == PAGE_MAX) {
          next = encodeCursor(row.getOffsetDateTime("updated_at"), row.getString("id"));
        }
      }
      return new JsonObject().put("items", items).put("next_cursor", rows.size() > PAGE_MAX ? next : null);
    });
  }

  /**
   * Applies the arbiter's {@code decision} to the dispute's order; answers the decided dispute. The
   * order refuses a decision when it is not disputed ({@code state_does_not_allow}) or when the
   * awards do not name each unit once ({@code awards_do_not_match_units}); the same decision again
   * answers the same result.
   */
  public Future<JsonObject> decide(String disputeId, Decision decision) {
    return orders.apply(orderId(disputeId), null,
            OrderStore.Decision.reading(current -> List.of(decision.toEvent(current.order()))))
        .map(applied -> {
          if (!applied.found() || applied.before().order().dispute() == null) {
            throw Refusal.of(Refusal.Code.NOT_FOUND, "No dispute " + disputeId);
          }
          if (applied.rejection() != null) {
            throw Refusal.byOrder(applied.rejection().code(),
                applied.rejection().detail());
          }
          return item(applied.after().order());
        });
  }

  /** The operator's view of a dispute and its order. */
  public static JsonObject item(Order order) {
    JsonObject awards = new JsonObject();
    order.dispute().awards().forEach((unit, award) -> awards.put(Integer.toString(unit), award.code()));
    return new JsonObject()
        .put("id", disputeId(order.id()))
        .put("order_id", order.id())
        .put("merchant_id", order.merchantId())
        .put("state", order.dispute().isDecided() ? "decided" : "open")
        .put("reason", order.dispute().reason().code())
        .put("text", order.dispute().text())
        .put("opened_at", Wire.time(order.dispute().openedAt()))
        .put("decided_at", Wire.time(order.dispute().decidedAt()))
        .put("awards", awards)
        .put("order", OrderViews.price(new JsonObject().put("state", order.state().code()), order)
            .put("revealed_at", Wire.time(order.revealedAt()))
            .put("inspection_ends_at", Wire.time(order.inspectionEndsAt()))
            .put("units", OrderViews.units(order, false, "key_fingerprint", false)));
  }

  /** The cursor of a page that ends at the dispute of order {@code id}, last changed at {@code updatedAt}. */
  public static String encodeCursor(OffsetDateTime updatedAt, String id) {
    String plain = updatedAt.toInstant().toString() + "|" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  static Tuple decodeCursor(String cursor) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      int bar = plain.indexOf('|');
      OffsetDateTime at = Instant.parse(plain.substring(0, bar)).atOffset(ZoneOffset.UTC);
      String id = plain.substring(bar + 1);
      if (!id.startsWith(ORDER_PREFIX) || id.length() > CURSOR_LENGTH_MAX) {
        throw new IllegalArgumentException("bad id");
      }
      return Tuple.of(at, id);
    } catch (RuntimeException e) {
      throw Refusal.malformed("query:cursor", "is not a cursor from a previous page");
    }
  }

  /**
   * The arbiter's decision as read from the request.
   *
   * @param award release or refund for every unit, or null for a split
   * @param split unit index to award, for a split; empty otherwise
   */
  public record Decision(Award award, Map<Integer, Award> split) {
    public Decision {
      split = Map.copyOf(split);
      if ((award == null) == split.isEmpty()) {
        throw new IllegalArgumentException("a decision is one award for all units or a split, not both");
      }
    }

    OrderEvent.ArbiterDecided toEvent(Order order) {
      return award != null ? OrderEvent.ArbiterDecided.wholeOrder(award, order) : new OrderEvent.ArbiterDecided(split);
    }
  }
}
