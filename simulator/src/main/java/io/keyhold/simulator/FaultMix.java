package io.keyhold.simulator;

import io.vertx.core.json.JsonObject;

/**
 * The faults a run injects into its shops. Rates are probabilities from 0 to 1.
 *
 * @param invalidKeyRate share of keys that are made up: bad check digit in the uploaded stock, and
 *     keys the reference merchant invents
 * @param redeemedKeyRate share of the reference merchant's keys its issuer already counts as redeemed
 * @param duplicateKeyRate share of the reference merchant's keys it already gave to another order
 * @param duplicateUploads how many times the simulator tries to upload a key the gateway already holds
 *     (each must be refused with {@code duplicate_key})
 * @param merchantLatencyMs latency the reference merchants add to every answer
 * @param merchantErrorRate share of reference merchant answers that are {@code 500}
 * @param merchantTimeoutRate share of reference merchant requests never answered
 * @param outageAtSeconds when the first reference merchant stops for good (seconds after the start), or -1
 */
public record FaultMix(double invalidKeyRate, double redeemedKeyRate, double duplicateKeyRate, int duplicateUploads,
    int merchantLatencyMs, double merchantErrorRate, double merchantTimeoutRate, int outageAtSeconds) {
  public static final int DUPLICATE_UPLOADS_MAX = 1_000;
  public static final int LATENCY_MS_MAX = 60_000;

  public static final FaultMix NONE = new FaultMix(0, 0, 0, 0, 0, 0, 0, -1);

  public FaultMix {
    rate("invalid key rate", invalidKeyRate);
    rate("redeemed key rate", redeemedKeyRate);
    rate("duplicate key rate", duplicateKeyRate);
    rate("merchant error rate", merchantErrorRate);
    rate("merchant timeout rate", merchantTimeoutRate);
    if (duplicateUploads < 0 || duplicateUploads > DUPLICATE_UPLOADS_MAX) {
      throw new IllegalArgumentException("duplicate uploads must be between 0 and " + DUPLICATE_UPLOADS_MAX
          + ", but was " + duplicateUploads);
    }
    if (merchantLatencyMs < 0 || merchantLatencyMs > LATENCY_MS_MAX) {
      throw new IllegalArgumentException("merchant latency ms must be between 0 and " + LATENCY_MS_MAX
          + ", but was " + merchantLatencyMs);
    }
    if (outageAtSeconds < -1) {
      throw new IllegalArgumentException("outage at seconds must be -1 (none) or at least 0, but was "
          + outageAtSeconds);
    }
  }

  public boolean outage() {
    return outageAtSeconds >= 0;
  }

  public JsonObject toJson() {
    return new JsonObject().put("invalid_key_rate", invalidKeyRate).put("redeemed_key_rate", redeemedKeyRate)
        .put("duplicate_key_rate", duplicateKeyRate).put("duplicate_uploads", duplicateUploads)
        .put("merchant_latency_ms", merchantLatencyMs).put("merchant_error_rate", merchantErrorRate)
        .put("merchant_timeout_rate", merchantTimeoutRate).put("outage_at_seconds", outageAtSeconds);
  }

  static void rate(String name, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be between 0 and 1, but was " + value);
    }
  }
}
