package io.keyhold.gateway.store;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * An outbox row a change queued and this instance claimed in the statement that stored it ({@link
 * OrderStore#claimEffectsAs}): its first attempt counted, leased to this instance, for it to run once the change
 * commits.
 *
 * @param id the row
 * @param kind what to do
 * @param idempotencyKey the effect's key
 * @param payload the effect, as stored
 */
public record ClaimedEffect(long id, String kind, String idempotencyKey, JsonObject payload) {
  public ClaimedEffect {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    Objects.requireNonNull(payload, "payload");
  }
}
