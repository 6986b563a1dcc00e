package io.keyhold.simulator;

import io.vertx.core.json.JsonObject;

/**
 * The SKU deadlines a run sets up, in seconds (the SKU {@code policy} of the merchant API). Short ones
 * let a run end in tens of seconds; the gateway enforces its own lower bounds and says so if one is
 * too short.
 */
public record Deadlines(int payWithinSeconds, int deliverWithinSeconds, int validateWithinSeconds,
    int resupplyWithinSeconds, int maxResupplyAttempts, int inspectionWindowSeconds, int maxHoldSeconds) {
  public static final int SECONDS_MAX = 90 * 86_400;
  public static final int RESUPPLY_ATTEMPTS_MAX = 10;

  public Deadlines {
    positive("pay within seconds", payWithinSeconds);
    positive("deliver within seconds", deliverWithinSeconds);
    positive("validate within seconds", validateWithinSeconds);
    positive("resupply within seconds", resupplyWithinSeconds);
    positive("inspection window seconds", inspectionWindowSeconds);
    positive("max hold seconds", maxHoldSeconds);
    if (maxResupplyAttempts < 0 || maxResupplyAttempts > RESUPPLY_ATTEMPTS_MAX) {
      throw new IllegalArgumentException("max resupply attempts must be between 0 and " + RESUPPLY_ATTEMPTS_MAX
          + ", but was " + maxResupplyAttempts);
    }
  }

  /** The SKU's {@code policy} object. */
  public JsonObject toPolicyJson() {
    return new JsonObject()
        .put("pay_within_seconds", payWithinSeconds)
        .put("deliver_within_seconds", deliverWithinSeconds)
        .put("validate_within_seconds", validateWithinSeconds)
        .put("resupply_within_seconds", resupplyWithinSeconds)
        .put("max_resupply_attempts", maxResupplyAttempts)
        .put("inspection_window_seconds", inspectionWindowSeconds)
        .put("max_hold_seconds", maxHoldSeconds);
  }

  private static void positive(String name, int value) {
    if (value < 1 || value > SECONDS_MAX) {
      throw new IllegalArgumentException(name + " must be between 1 and " + SECONDS_MAX + ", but was " + value);
    }
  }
}
