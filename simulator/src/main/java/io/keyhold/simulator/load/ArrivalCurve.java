package io.keyhold.simulator.load;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * When each buyer arrives: {@code buyers} offsets in milliseconds from the start, within
 * {@code [0, windowMs)}, sorted, drawn by inverse transform sampling from the shape's density with
 * a seeded generator. The same seed gives the same offsets, so a run can be replayed.
 *
 * <ul>
 *   <li>flat: density constant, {@code t = W u};
 *   <li>ramp: density grows linearly, {@code F(t) = (t/W)^2}, so {@code t = W sqrt(u)};
 *   <li>spike: density decays exponentially from the opening with time constant
 *       {@code W / }{@value #SPIKE_DECAYS_PER_WINDOW}, truncated at {@code W}.
 * </ul>
 */
public final class ArrivalCurve {
  public static final int BUYERS_MAX = 1_000_000;
  public static final long WINDOW_MS_MAX = 24L * 3600 * 1000;
  /** How many time constants fit in the window of a spike: about 99.3 % of buyers arrive in it before truncation. */
  public static final double SPIKE_DECAYS_PER_WINDOW = 5.0;

  private ArrivalCurve() {}

  /** The arrival offsets, sorted ascending. */
  public static long[] offsetsMs(ArrivalShape shape, int buyers, long windowMs, long seed) {
    Objects.requireNonNull(shape, "shape");
    if (buyers < 0 || buyers > BUYERS_MAX) {
      throw new IllegalArgumentException("buyers must be between 0 and " + BUYERS_MAX + ", but was " + buyers);
    }
    if (windowMs < 1 || windowMs > WINDOW_MS_MAX) {
      throw new IllegalArgumentException("window ms must be between 1 and " + WINDOW_MS_MAX + ", but was " + windowMs);
    }
    SplittableRandom random = new SplittableRandom(seed);
    long[] offsets = new long[buyers];
    for (int i = 0; i < buyers; i++) {
      double u = random.nextDouble();
      double fraction = switch (shape) {
        case FLAT -> u;
        case RAMP -> Math.sqrt(u);
        case SPIKE -> {
          double scale = 1.0 / SPIKE_DECAYS_PER_WINDOW;
          yield -scale * Math.log(1 - u * (1 - Math.exp(-1 / scale)));
        }
      };
      offsets[i] = Math.min(windowMs - 1, (long) Math.floor(fraction * windowMs));
    }
    Arrays.sort(offsets);
    assert buyers == 0 || (offsets[0] >= 0 && offsets[buyers - 1] < windowMs) : "an offset fell outside the window";
    return offsets;
  }
}
