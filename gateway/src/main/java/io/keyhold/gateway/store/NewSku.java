package io.keyhold.gateway.store;

import io.keyhold.escrow.SkuPolicy;
import java.util.List;
import java.util.Objects;

/**
 * What a merchant asks for in {@code POST /v1/skus}, checked.
 *
 * @param name shown to buyers
 * @param priceMinor price per unit in minor units
 * @param currency ISO 4217
 * @param policy deadlines
 * @param adapterType how keys are obtained
 * @param validators key checks, an {@code http} one's secrets still in the clear
 */
public record NewSku(String name, long priceMinor, String currency, SkuPolicy policy, String adapterType,
    List<ValidatorSpec.New> validators) {
  public NewSku {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(currency, "currency");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(adapterType, "adapterType");
    Range.check("price", priceMinor, 1, Catalog.PRICE_MINOR_MAX);
    validators = List.copyOf(validators);
  }
}
