package io.keyhold.simulator.report;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of one phase, in milliseconds, from an HdrHistogram recorded in microseconds.
 *
 * @param phase the phase
 * @param count how many samples
 */
public record PhaseStats(Phase phase, long count, double p50Ms, double p90Ms, double p99Ms, double p999Ms,
    double maxMs, double meanMs) {

  public static PhaseStats of(Phase phase, Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return new PhaseStats(phase, 0, 0, 0, 0, 0, 0, 0);
    }
    return new PhaseStats(phase, micros.getTotalCount(), ms(micros.getValueAtPercentile(50)),
        ms(micros.getValueAtPercentile(90)), ms(micros.getValueAtPercentile(99)),
        ms(micros.getValueAtPercentile(99.9)), ms(micros.getMaxValue()), Math.round(micros.getMean()) / 1000.0);
  }

  static double ms(long micros) {
    return micros / 1000.0;
  }

  public JsonObject toJson() {
    return new JsonObject().put("phase", phase.code()).put("count", count).put("p50_ms", p50Ms)
        .put("p90_ms", p90Ms).put("p99_ms", p99Ms).put("p999_ms", p999Ms).put("max_ms", maxMs)
        .put("mean_ms", meanMs);
  }
}
