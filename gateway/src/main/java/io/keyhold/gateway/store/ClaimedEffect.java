package io.keyhold.gateway.store;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * An outbox row this instance claimed in the statement that queued it (a change's effect, {@link
 * OrderStore#claimEffectsAs}; a sandbox payment's notice): its first attempt counted, leased to this instance, for it
 * to run once that statement commits.
 *
 * @param id the row
 * @param merchantId the merchant, or null
 * @param orderId the order, or null
 * @param kind what to do
 * @param idempotencyKey the effect's key
 * @param payload the effect, as stored
 */
public record ClaimedEffect(long id, String merchantId, String orderId, String kind, String idempotencyKey,
    JsonObject payload) {
  public ClaimedEffect {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(payload, "payload");
  }
}
