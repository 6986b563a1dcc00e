package io.keyhold.simulator.load;

import java.util.concurrent.TimeUnit;

/**
 * How late a periodic timer fires, each firing against its own due time. Vert.x fires a periodic timer at a fixed
 * rate, so a loop held up for several periods fires the missed ones back to back: measured from the previous firing
 * those would look on time, while a call waiting through the same stall waited as long as each of them was late.
 * The gateway measures its own loops the same way, so the two figures of one run compare.
 */
final class LagProbe {
  private final long periodNs;
  private final long startedAtNs;
  private long firings;

  /** A probe whose timer, every {@code periodMs}, was set at {@code startedAtNs} ({@link System#nanoTime()}). */
  LagProbe(long periodMs, long startedAtNs) {
    assert periodMs > 0 : "period must be positive: " + periodMs;
    this.periodNs = TimeUnit.MILLISECONDS.toNanos(periodMs);
    this.startedAtNs = startedAtNs;
  }

  /** Called at each firing, at {@code nowNs}: how many milliseconds after its due time it came (0 when on time). */
  long lateMs(long nowNs) {
    firings++;
    long dueAtNs = startedAtNs + periodNs * firings;
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(nowNs - dueAtNs));
  }
}
