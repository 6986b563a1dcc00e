package io.keyhold.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A merchant's webhook deliveries as the outbox holds them (kind {@code notify}): what was sent for which order,
 * whether it is done, still retried or failed for good, after how many attempts and with which last error.
 */
public final class WebhookDeliveries {
  /** A page of the merchant's deliveries, newest first; optional: by state, before an id. */
  private static final OptionalFilters LIST = new OptionalFilters("SELECT id, order_id, payload ->> 'type' AS event, state,"
      + " attempts, last_error, created_at, next_attempt_at, finished_at FROM outbox WHERE merchant_id = $1"
      + " AND kind = 'notify'", 1, List.of("state = ?", "id < ?"), "ORDER BY id DESC LIMIT ?");

  private final Pool pool;

  public WebhookDeliveries(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /**
   * At most {@code limit} deliveries of the merchant, newest first, in {@code state} ({@code pending}, {@code done},
   * {@code failed}; null for all), before the delivery {@code beforeId} (null for the first page).
   */
  public Future<List<JsonObject>> list(String merchantId, String state, Long beforeId, int limit) {
    Tuple args = Tuple.tuple().addString(merchantId);
    if (state != null) {
      args.addString(state);
    }
    if (beforeId != null) {
      args.addLong(beforeId);
    }
    args.addInteger(limit);
    return pool.preparedQuery(LIST.statement(state != null, beforeId != null)).execute(args).map(rows -> {
      List<JsonObject> items = new ArrayList<>();
      rows.forEach(row -> items.add(new JsonObject()
          .put("id", row.getLong("id"))
          .put("order_id", row.getString("order_id"))
          .put("event", row.getString("event"))
          .put("state", row.getString("state"))
          .put("attempts", row.getInteger("attempts"))
          .put("last_error", row.getString("last_error"))
          .put("created_at", Wire.time(row.getOffsetDateTime("created_at")))
          .put("next_attempt_at", "pending".equals(row.getString("state"))
              ? Wire.time(row.getOffsetDateTime("next_attempt_at")) : null)
          .put("finished_at", Wire.time(row.getOffsetDateTime("finished_at")))));
      return items;
    });
  }
}
