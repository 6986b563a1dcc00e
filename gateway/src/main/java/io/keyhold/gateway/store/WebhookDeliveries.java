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
  private static final String LIST = "SELECT id, order_id, payload ->> 'type' AS event, state, attempts, last_error,"
      + " created_at, next_attempt_at, finished_at FROM outbox WHERE merchant_id = $1 AND kind = 'notify'"
      + " AND ($2::text IS NULL OR state = $2) AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4";

  private final Pool pool;

  public WebhookDeliveries(Pool pool) {
    this.pool = Objects.requireNonNull(pool, "pool");
  }

  /**
   * At most {@code limit} deliveries of the merchant, newest first, in {@code state} ({@code pending}, {@code done},
   * {@code failed}; null for all), before the delivery {@code beforeId} (null for the first page).
   */
  public Future<List<JsonObject>> list(String merchantId, String state, Long beforeId, int limit) {
    Tuple args = Tuple.tuple().addString(merchantId).addString(state).addLong(beforeId).addInteger(limit);
    return pool.preparedQuery(LIST).execute(args).map(rows -> {
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
