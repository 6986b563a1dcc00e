package io.keyhold.simulator.report;

import java.util.Locale;
import java.util.Map;

/** Formats the live progress line: elapsed, arrivals, in flight, orders by state, rate, p99. Pure. */
public final class ProgressLine {
  private ProgressLine() {}

  public static String format(ProgressSnapshot s) {
    StringBuilder line = new StringBuilder();
    line.append(String.format(Locale.ROOT, "[%6.1fs] arrived %d/%d, in flight %d |", s.elapsedMs() / 1000.0,
        s.arrived(), s.buyers(), s.inFlight()));
    if (s.states().isEmpty()) {
      line.append(" no orders yet");
    }
    for (Map.Entry<String, Integer> state : s.states().entrySet()) {
      line.append(' ').append(state.getKey()).append(' ').append(state.getValue());
    }
    line.append(String.format(Locale.ROOT, " | sold out %d, failed %d | %.1f lifecycles/s | p99 checkout %.0f ms,"
        + " life %.0f ms", s.soldOut(), s.failed(), s.lifecyclesPerSecond(), s.checkoutP99Ms(), s.lifecycleP99Ms()));
    return line.toString();
  }
}
