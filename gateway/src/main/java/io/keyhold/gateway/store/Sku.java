package io.keyhold.gateway.store;

import io.keyhold.escrow.SkuPolicy;
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
public record Sku(String id, String merchantId, String name, long priceMinor, String currency, SkuPolicy policy,
    String adapterType, List<ValidatorSpec> validators, OffsetDateTime createdAt) {
  public Sku {
    if (priceMinor <= 0) {
      throw new IllegalArgumentException("price must be greater than 0, but was " + priceMinor);
    }
    validators = List.copyOf(validators);
  }

  /** A SKU's policy as the API shows it: seconds, and the two choices as codes. */
  public static JsonObject policyJson(SkuPolicy policy) {
    JsonObject json = new JsonObject()
        .put("pay_within_seconds", policy.payWithin().getSeconds())
        .put("deliver_within_seconds", policy.deliverWithin().getSeconds())
        .put("validate_within_seconds", policy.validateWithin().getSeconds())
        .put("resupply_within_seconds", policy.resupplyWithin().getSeconds())
        .put("max_resupply_attempts", policy.maxResupplyAttempts())
        .put("inspection_window_seconds", policy.inspectionWindow().getSeconds())
        .put("max_hold_seconds", policy.maxHold().getSeconds())
        .put("unknown_verdict_policy", policy.unknownVerdictPolicy().code())
        .put("late_payment_policy", policy.latePaymentPolicy().code());
    if (policy.compensation() != null) {
      json.put("compensation", new JsonObject().put("basis", policy.compensation().basis().code())
          .put("value", policy.compensation().value()));
    }
    return json;
  }

  public JsonObject toJson() {
    JsonArray specs = new JsonArray();
    validators.forEach(v -> specs.add(v.toJson()));
    return new JsonObject()
        .put("id", id)
        .put("name", name)
        .put("price", priceMinor)
        .put("currency", currency)
        .put("policy", policyJson(policy))
        .put("adapter", adapterType)
        .put("validators", specs)
        .put("created_at", createdAt.toInstant().toString());
  }
}
