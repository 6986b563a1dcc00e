package io.keyhold.gateway.api;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderState;
import io.keyhold.gateway.engine.Checkout;
import io.keyhold.gateway.engine.Deliveries;
import io.keyhold.gateway.store.KeyStore;
import io.keyhold.gateway.store.OptionalFilters;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.OrderViews;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The merchant's order API: {@code GET /v1/orders/{id}}, {@code GET /v1/orders?state=&placed_since=&cursor=},
 * {@code POST /v1/orders/{id}/deliveries}, and the checkout sessions ({@link CheckoutRoutes}). Every query
 * names the calling merchant, so another merchant's order is simply not found (404), on every route.
 */
public final class OrderRoutes {
  public static final int PAGE_SIZE_DEFAULT = 20;
  public static final int PAGE_SIZE_MAX = 100;
  private static final Set<String> PUSH_FIELDS = Set.of("units");
  private static final Set<String> PUSH_UNIT_FIELDS = Set.of("index", "key");
  /** A page of the merchant's orders, newest first; optional: by state, after a cursor, placed since. */
  static final OptionalFilters LIST = new OptionalFilters("SELECT merchant_id, id, adapter_type, reservation_id,"
      + " reserved_until, buyer_ref, version, data, placed_at FROM orders WHERE merchant_id = $1", 1,
      List.of("state = ?", "(placed_at, id) < (?, ?)", "placed_at >= ?"), "ORDER BY placed_at DESC, id DESC LIMIT ?");

  private final Pool pool;
  private final OrderStore orders;
  private final Deliveries deliveries;

  private OrderRoutes(Pool pool, OrderStore orders, Deliveries deliveries) {
    this.pool = pool;
    this.orders = orders;
    this.deliveries = deliveries;
  }

  public static void mount(Endpoints endpoints, Pool pool, OrderStore orders, Deliveries deliveries,
      Checkout checkout) {
    OrderRoutes routes = new OrderRoutes(pool, orders, deliveries);
    CheckoutRoutes.mount(endpoints, checkout);
    endpoints.get("getOrder", Caller.Kind.MERCHANT, routes::get);
    endpoints.get("listOrders", Caller.Kind.MERCHANT, routes::list);
    endpoints.post("pushDeliveries", Caller.Kind.MERCHANT, routes::push);
  }

  /** The same answer for "no such order" and "another merchant's order". */
  static ProblemException notFound() {
    return new ProblemException(ProblemCode.NOT_FOUND, "No such order");
  }

  private Future<Reply> get(ApiRequest request) {
    return orders.load(request.pathParam("id"), request.merchantId()).compose(stored -> stored == null
        ? Future.failedFuture(notFound())
        : Future.succeededFuture(Reply.ok(OrderViews.merchant(stored))));
  }

  private Future<Reply> list(ApiRequest request) {
    String state = request.queryParam("state");
    if (state != null) {
      try {
        OrderState.fromCode(state);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(invalid("query:state", "must be an order state code"));
      }
    }
    int limit = PAGE_SIZE_DEFAULT;
    String limitText = request.queryParam("limit");
    if (limitText != null) {
      try {
        limit = Integer.parseInt(limitText);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > PAGE_SIZE_MAX) {
        return Future.failedFuture(invalid("query:limit", "must be between 1 and " + PAGE_SIZE_MAX));
      }
    }
    Cursor cursor = Cursor.of(request);
    OffsetDateTime placedSince = null;
    String since = request.queryParam("placed_since");
    if (since != null) {
      try {
        placedSince = OffsetDateTime.parse(since).withOffsetSameInstant(ZoneOffset.UTC);
      } catch (java.time.format.DateTimeParseException e) {
        return Future.failedFuture(invalid("query:placed_since", "must be an RFC 3339 time"));
      }
    }
    int pageSize = limit;
    Tuple args = Tuple.tuple().addString(request.merchantId());
    if (state != null) {
      args.addString(state);
    }
    if (cursor != null) {
      args.addOffsetDateTime(cursor.placedAt()).addString(cursor.id());
    }
    if (placedSince != null) {
      args.addOffsetDateTime(placedSince);
    }
    args.addInteger(pageSize + 1);
    String list = LIST.statement(state != null, cursor != null, placedSince != null);
    return pool.preparedQuery(list).execute(args).map(rows -> {
      JsonArray items = new JsonArray();
      String next = null;
      int seen = 0;
      for (Row row : rows) {
        if (seen == pageSize) {
          break;
        }
        seen++;
        items.add(OrderViews.merchant(OrderStore.toStored(row)));
        if (seen == pageSize) {
          next = new Cursor(row.getOffsetDateTime("placed_at"), row.getString("id")).encode();
        }
      }
      if (rows.size() <= pageSize) {
        next = null;
      }
      return Reply.ok(new JsonObject().put("items", items).put("next_cursor", next));
    });
  }

  private Future<Reply> push(ApiRequest request) {
    JsonInput in = JsonInput.of(request.body(), PUSH_FIELDS);
    List<JsonInput> units = in.objects("units", 1, Order.EVENTS_AT_ONCE_MAX - 1, PUSH_UNIT_FIELDS);
    List<KeyStore.Incoming> incoming = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    if (units != null) {
      for (int i = 0; i < units.size(); i++) {
        JsonInput unit = units.get(i);
        long index = unit.requiredLong("index", 0, io.keyhold.escrow.Order.QUANTITY_MAX - 1);
        String key = unit.requiredString("key", 1, CardKey.LENGTH_MAX);
        if (key == null || index < 0) {
          continue;
        }
        if (!seen.add((int) index)) {
          unit.reject("index", FieldError.Code.INVALID_VALUE, "names a unit already given in this request");
          continue;
        }
        int control = CardKey.controlCharacterIndex(key);
        if (control >= 0) {
          // The message says where, never what: the key stays out of the answer.
          unit.reject("key", FieldError.Code.INVALID_VALUE,
              "must not contain control, format or line-separator characters, but has one at character " + control);
        } else {
          try {
            incoming.add(new KeyStore.Incoming((int) index, CardKey.of(key)));
          } catch (IllegalArgumentException e) {
            unit.reject("key", FieldError.Code.INVALID_VALUE,
                "must be text of at most " + CardKey.LENGTH_MAX + " UTF-16 units, not blank");
          }
        }
      }
    }
    in.done();
    String orderId = request.pathParam("id");
    String merchantId = request.merchantId();
    return orders.load(orderId, merchantId).compose(stored -> {
      if (stored == null) {
        return Future.failedFuture(notFound());
      }
      for (KeyStore.Incoming key : incoming) {
        if (key.unit() >= stored.order().quantity()) {
          return Future.failedFuture(new ProblemException(ProblemCode.UNKNOWN_UNIT,
              "The order has units 0 to " + (stored.order().quantity() - 1)));
        }
      }
      return deliveries.pushed(orderId, merchantId, incoming);
    }).compose(applied -> {
      if (!applied.found()) {
        return Future.failedFuture(notFound());
      }
      if (applied.rejection() != null) {
        return Future.failedFuture(new ProblemException(ProblemCode.forRejection(applied.rejection().code()),
            applied.rejection().detail()));
      }
      return Future.succeededFuture(Reply.json(202, OrderViews.delivered(applied.after())));
    });
  }


  private static ProblemException invalid(String field, String message) {
    return new ProblemException(
        Problem.invalid(List.of(new FieldError(field, FieldError.Code.INVALID_VALUE, message))));
  }

  /** Where a page ended: the last item's placing time and id, opaque to clients. */
  record Cursor(OffsetDateTime placedAt, String id) {
    /** The request's {@code cursor} query parameter, or null; 400 naming it when it is not one of ours. */
    static Cursor of(ApiRequest request) {
      try {
        return parse(request.queryParam("cursor"));
      } catch (IllegalArgumentException e) {
        throw invalid("query:cursor", "is not a cursor this API gave out");
      }
    }

    String encode() {
      String text = placedAt.toInstant().toString() + "|" + id;
      return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static Cursor parse(String text) {
      if (text == null) {
        return null;
      }
      String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      int bar = decoded.indexOf('|');
      if (bar < 0) {
        throw new IllegalArgumentException("no separator");
      }
      try {
        return new Cursor(Instant.parse(decoded.substring(0, bar)).atOffset(ZoneOffset.UTC),
            decoded.substring(bar + 1));
      } catch (java.time.format.DateTimeParseException e) {
        throw new IllegalArgumentException("bad time", e);
      }
    }
  }
}
