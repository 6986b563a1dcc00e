package io.keyhold.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LagProbeTest {
  private static final long PERIOD_MS = 20;
  private static final long START_NS = 1_000_000_000L;

  private static long atMs(long ms) {
    return START_NS + TimeUnit.MILLISECONDS.toNanos(ms);
  }

  @Test
  void firingsOnTimeAreNotLate() {
    LagProbe probe = new LagProbe(PERIOD_MS, START_NS);

    assertThat(probe.lateMs(atMs(20))).isZero();
    assertThat(probe.lateMs(atMs(40))).isZero();
    assertThat(probe.lateMs(atMs(61))).isEqualTo(1);
  }

  @Test
  void firingsCaughtUpAfterAStallEachCountTheirOwnLateness() {
    LagProbe probe = new LagProbe(PERIOD_MS, START_NS);
    probe.lateMs(atMs(20));

    // The loop was held from 20 ms to 100 ms: the firings due at 40, 60, 80 and 100 ms all come at 100 ms, back to
    // back, as Vert.x fires a periodic timer at a fixed rate. Measured from the previous firing, only the first
    // would look late.
    List<Long> late = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      late.add(probe.lateMs(atMs(100)));
    }

    assertThat(late).containsExactly(60L, 40L, 20L, 0L);
    assertThat(probe.lateMs(atMs(120))).isZero();
  }
}
