package io.keyhold.gateway.adapters;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.Objects;

/**
 * What a {@link PaymentProviderFactory} gets from the gateway.
 *
 * @param vertx the Vert.x instance to run on
 * @param clock the gateway's clock (never read time elsewhere)
 * @param config the provider's configuration (may hold secrets: never log it)
 */
public record PaymentContext(Vertx vertx, Clock clock, JsonObject config) {
  public PaymentContext {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(clock, "clock");
    config = config == null ? new JsonObject() : config.copy();
  }

  @Override
  public String toString() {
    return "PaymentContext[config keys=" + config.fieldNames() + "]";
  }
}
