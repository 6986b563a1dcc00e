package io.keyhold.gateway.store;

import java.util.Objects;

/**
 * A card key in the clear, as opened from the vault: what a validator checks and a buyer finally
 * sees. {@link #toString()} never shows it, so it cannot slip into a log line by accident.
 *
 * @param stockKeyId the row in {@code stock_keys}
 * @param value the key itself
 */
public record CardKey(long stockKeyId, String value) {
  public CardKey {
    Objects.requireNonNull(value, "value");
  }

  @Override
  public String toString() {
    return "CardKey[" + stockKeyId + ", redacted]";
  }
}
