package io.keyhold.adapters.reference;

import io.keyhold.adapters.http.MerchantProtocol;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.Identifiers;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.function.Supplier;

/**
 * The operations of the merchant protocol and the issuer check (PROTOCOL.md): each reads a verified
 * request, refuses a bad one with a {@link ProtocolProblem} and answers from the {@link ReferenceStock}.
 * Signatures, request ids and faults on the wire are {@link ProtocolExchange}'s business.
 */
final class ProtocolOperations {

  private final ReferenceStock stock;
  private final Supplier<Faults> merchantFaults;

  /** {@code merchantFaults} gives the faults in force for the shop's own stock at the time of a call. */
  ProtocolOperations(ReferenceStock stock, Supplier<Faults> merchantFaults) {
    this.stock = stock;
    this.merchantFaults = merchantFaults;
  }

  JsonObject reserve(JsonObject request) {
    String reservationId = id(request, "reservation_id");
    String sku = id(request, "sku_id");
    id(request, "merchant_id");
    int quantity = integer(request, "quantity", 1, MerchantProtocol.UNITS_PER_DELIVERY_MAX);
    Instant until = instant(request, "until");
    Instant expiresAt = stock.reserve(reservationId, sku, quantity, until);
    return new JsonObject()
        .put("reservation_id", reservationId)
        .put("sku_id", sku)
        .put("quantity", quantity)
        .put("expires_at", expiresAt.toString());
  }

  JsonObject cancel(JsonObject request) {
    String reservationId = id(request, "reservation_id");
    id(request, "merchant_id");
    stock.cancel(reservationId);
    return new JsonObject().put("reservation_id", reservationId).put("status", "cancelled");
  }

  JsonObject deliver(JsonObject request) {
    String orderId = id(request, "order_id");
    String sku = id(request, "sku_id");
    id(request, "merchant_id");
    Object reservation = request.getValue("reservation_id");
    String reservationId = reservation == null ? null : id(request, "reservation_id");
    if (!(request.getValue("units") instanceof JsonArray units)
        || units.isEmpty() || units.size() > MerchantProtocol.UNITS_PER_DELIVERY_MAX) {
      throw ProtocolProblem.badRequest("units must be an array of 1 to " + MerchantProtocol.UNITS_PER_DELIVERY_MAX + " units");
    }
    List<Integer> asked = new ArrayList<>();
    for (Object unit : units) {
      int value = unitValue(unit, "units[]");
      if (asked.contains(value)) {
        throw ProtocolProblem.badRequest("units must be distinct");
      }
      asked.add(value);
    }
    SortedMap<Integer, String> keys = stock.deliver(orderId, sku, reservationId, asked, merchantFaults.get());
    JsonArray keyArray = new JsonArray();
    keys.forEach((unit, key) -> keyArray.add(new JsonObject().put("unit", unit).put("key", key)));
    JsonArray pending = new JsonArray();
    asked.stream().sorted().filter(unit -> !keys.containsKey(unit)).forEach(pending::add);
    return new JsonObject().put("order_id", orderId).put("keys", keyArray).put("pending", pending);
  }

  JsonObject replace(JsonObject request) {
    String orderId = id(request, "order_id");
    String sku = id(request, "sku_id");
    id(request, "merchant_id");
    int unit = unitValue(request.getValue("unit"), "unit");
    int attempt = integer(request, "attempt", 1, MerchantProtocol.REPLACE_ATTEMPTS_MAX);
    if (!(request.getValue("reason") instanceof String)) {
      throw ProtocolProblem.badRequest("reason must be a string");
    }
    String key = stock.replace(orderId, sku, unit, attempt, merchantFaults.get());
    return new JsonObject().put("order_id", orderId).put("unit", unit).put("attempt", attempt).put("key", key);
  }

  JsonObject check(JsonObject request) {
    id(request, "sku_id");
    if (!(request.getValue("key") instanceof String key) || key.isEmpty() || key.length() > CardKey.LENGTH_MAX) {
      throw ProtocolProblem.badRequest("key must be a string of 1 to " + CardKey.LENGTH_MAX + " characters");
    }
    KeyVerdict verdict = stock.check(key);
    return new JsonObject().put("verdict", verdict.code());
  }

  static String stringOrNull(JsonObject request, String field) {
    return request.getValue(field) instanceof String text ? text : null;
  }

  private static String id(JsonObject request, String field) {
    String value = stringOrNull(request, field);
    if (!Identifiers.isValid(value)) {
      throw ProtocolProblem.badRequest(field + " must be 1 to " + Identifiers.LENGTH_MAX + " characters of [A-Za-z0-9._:-]");
    }
    return value;
  }

  private static int integer(JsonObject request, String field, int min, int max) {
    Object value = request.getValue(field);
    if ((value instanceof Integer || value instanceof Long)
        && ((Number) value).longValue() >= min && ((Number) value).longValue() <= max) {
      return ((Number) value).intValue();
    }
    throw ProtocolProblem.badRequest(field + " must be an integer from " + min + " to " + max);
  }

  private static int unitValue(Object value, String field) {
    if ((value instanceof Integer || value instanceof Long)
        && ((Number) value).longValue() >= 0 && ((Number) value).longValue() <= 9_999) {
      return ((Number) value).intValue();
    }
    throw ProtocolProblem.badRequest(field + " must be an integer from 0 to 9999");
  }

  private static Instant instant(JsonObject request, String field) {
    try {
      return Instant.parse(stringOrNull(request, field));
    } catch (DateTimeParseException | NullPointerException e) {
      throw ProtocolProblem.badRequest(field + " must be an RFC 3339 UTC time");
    }
  }
}
