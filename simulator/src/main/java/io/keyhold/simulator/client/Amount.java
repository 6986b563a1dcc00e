package io.keyhold.simulator.client;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * An amount as the API writes it: minor units of one ISO 4217 currency. The simulator adds amounts
 * only within one currency; mixing them is a programming error and throws.
 *
 * @param minor the amount in minor units
 * @param currency the ISO 4217 code
 */
public record Amount(long minor, String currency) {
  public Amount {
    Objects.requireNonNull(currency, "currency");
  }

  /** Reads {@code {"amount": n, "currency": "EUR"}}; null for a missing member. */
  public static Amount fromJson(JsonObject json) {
    if (json == null || !(json.getValue("amount") instanceof Number number)) {
      return null;
    }
    return new Amount(number.longValue(), json.getString("currency", ""));
  }

  public Amount plus(Amount other) {
    requireSameCurrency(other);
    // A zero amount read from an answer without a currency takes the other's currency.
    String sum = minor == 0 && other.minor != 0 ? other.currency : currency;
    return new Amount(Math.addExact(minor, other.minor), sum);
  }

  public Amount times(long factor) {
    return new Amount(Math.multiplyExact(minor, factor), currency);
  }

  public JsonObject toJson() {
    return new JsonObject().put("amount", minor).put("currency", currency);
  }

  private void requireSameCurrency(Amount other) {
    if (!currency.equals(other.currency) && other.minor != 0 && minor != 0) {
      throw new IllegalArgumentException("cannot add " + other.currency + " to " + currency);
    }
  }

  @Override
  public String toString() {
    return minor + " " + currency;
  }
}
