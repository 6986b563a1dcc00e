package io.keyhold.gateway.store;

import io.keyhold.escrow.Money;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;

/** How values look on the wire (openapi.yaml): amounts as {@code {amount, currency}}, times as RFC 3339 UTC. */
public final class Wire {
  private Wire() {}

  /** {@code {"amount": <minor units>, "currency": "<ISO 4217>"}}. */
  public static JsonObject money(Money money) {
    return money(money.minorUnits(), money.currency().getCurrencyCode());
  }

  /** {@code {"amount": <minor units>, "currency": "<ISO 4217>"}}. */
  public static JsonObject money(long minorUnits, String currency) {
    return new JsonObject().put("amount", minorUnits).put("currency", currency);
  }

  /** RFC 3339 UTC with the stored precision (microseconds at most), or null. */
  public static String time(Instant instant) {
    return instant == null ? null : instant.toString();
  }

  /** {@link #time(Instant)} of a database timestamp, or null. */
  public static String time(OffsetDateTime time) {
    return time == null ? null : time.toInstant().toString();
  }

  /** Lower-case hex of stored bytes (fingerprints), or null. */
  public static String hex(byte[] bytes) {
    return bytes == null ? null : HexFormat.of().formatHex(bytes);
  }
}
