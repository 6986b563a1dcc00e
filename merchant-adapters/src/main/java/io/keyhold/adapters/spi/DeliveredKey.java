package io.keyhold.adapters.spi;

import java.util.Objects;

/**
 * One key a merchant handed out, and the unit it is for. Its {@code toString()} shows the unit and
 * {@code CardKey[***]}, never the key.
 *
 * @param unit the unit of the order the key is for
 * @param key the key itself
 */
public record DeliveredKey(UnitIndex unit, CardKey key) {

  /** Rejects null parts. */
  public DeliveredKey {
    Objects.requireNonNull(unit, "unit");
    Objects.requireNonNull(key, "key");
  }
}
