package io.keyhold.simulator.audit;

import io.keyhold.simulator.client.OrderView;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Builds buyer-API order answers as the contract (the gateway's /openapi.yaml) writes them, for tests. */
final class OrderJson {
  private final JsonObject json;

  private OrderJson(String id, String state) {
    json = new JsonObject().put("id", id).put("state", state).put("quantity", 0)
        .put("unit_price", money(1_000)).put("units", new JsonArray()).put("deadlines", new JsonObject())
        .put("refunded", money(0)).put("released", money(0)).put("timeline", new JsonArray())
        .put("actions", new JsonObject());
  }

  static OrderJson order(String id, String state) {
    return new OrderJson(id, state);
  }

  OrderJson unit(int index, String state, String key) {
    json.getJsonArray("units").add(new JsonObject().put("index", index).put("state", state).put("key", key));
    json.put("quantity", json.getJsonArray("units").size());
    return this;
  }

  OrderJson released(long minor) {
    json.put("released", money(minor));
    return this;
  }

  OrderJson refunded(long minor) {
    json.put("refunded", money(minor));
    return this;
  }

  OrderJson deadline(String name, Instant at) {
    json.getJsonObject("deadlines").put(name, at.toString());
    return this;
  }

  OrderJson event(String type, Instant at) {
    json.getJsonArray("timeline").add(new JsonObject().put("type", type).put("at", at.toString()));
    return this;
  }

  JsonObject json() {
    return json;
  }

  OrderView view() {
    return OrderView.fromJson(json);
  }

  static JsonObject money(long minor) {
    return new JsonObject().put("amount", minor).put("currency", "CNY");
  }
}
