package io.keyhold.gateway.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A SKU as stored: one merchant's product, priced in minor units of one currency.
 *
 * @param id {@code sku_...}
 * @param merchantId its owner
 * @param name shown to buyers
 * @param priceMinor price per unit in minor units, 1..{@link Catalog#PRICE_MINOR_MAX}
 * @param currency ISO 4217
 * @param policy deadlines
 * @param adapterType how keys are obtained ({@code stock}: from the consignment vault)
 * @param validators checks every delivered key goes through
 * @param createdAt when it was created
 */
public record Sku(String id, String merchantId, String name, long priceMinor, String currency, DeadlinePolicy policy,
    String adapterType, List<ValidatorSpec> validators, OffsetDateTime createdAt) {
  public Sku {
    if (priceMinor <= 0) {
      throw new IllegalArgumentException("price must be greater than 0, but was " + priceMinor);
    }
    validators = List.copyOf(validators);
  }

  public JsonObject toJson() {
    JsonArray specs = new JsonArray();
    validators.forEach(v -> specs.add(v.toJson()));
    return new JsonObject()
        .put("id", id)
        .put("name", name)
        .put("price", priceMinor)
        .put("currency", currency)
        .put("policy", policy.toJson())
        .put("adapter", adapterType)
        .put("validators", specs)
        .put("created_at", createdAt.toInstant().toString());
  }
}
