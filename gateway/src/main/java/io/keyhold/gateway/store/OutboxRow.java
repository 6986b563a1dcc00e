package io.keyhold.gateway.store;

import io.vertx.core.json.JsonObject;

/**
 * An outbox row claimed for running.
 *
 * @param id the row
 * @param kind what to do
 * @param idempotencyKey the row's key (an effect's key)
 * @param payload what the writer stored
 * @param attempts this attempt's number, from 1
 * @param orderId the order, or null
 * @param merchantId the merchant, or null
 */
public record OutboxRow(long id, String kind, String idempotencyKey, JsonObject payload, int attempts, String orderId,
    String merchantId) {}
