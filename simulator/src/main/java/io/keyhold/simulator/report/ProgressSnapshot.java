package io.keyhold.simulator.report;

import java.util.Map;

/**
 * The run at one moment, for the live progress line. Immutable; made on the simulation's context and
 * read by the printer thread.
 *
 * @param elapsedMs since the start of the run
 * @param arrived buyers who arrived so far
 * @param buyers buyers in the run
 * @param inFlight buyers in flight now
 * @param states orders by their last known state
 * @param soldOut checkouts answered out of stock
 * @param failed buyers who ended in error, overload or rejection
 * @param lifecyclesPerSecond completed lifecycles per second over the last seconds
 * @param checkoutP99Ms p99 of checkout so far
 * @param lifecycleP99Ms p99 of a whole life so far
 */
public record ProgressSnapshot(long elapsedMs, int arrived, int buyers, int inFlight, Map<String, Integer> states,
    int soldOut, int failed, double lifecyclesPerSecond, double checkoutP99Ms, double lifecycleP99Ms) {
  public ProgressSnapshot {
    states = Map.copyOf(states);
  }
}
