package io.keyhold.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ArrivalCurveTest {
  private static final int BUYERS = 10_000;
  private static final long WINDOW_MS = 10_000;

  @Test
  void theSameSeedGivesTheSameArrivalsAndAnotherSeedOthers() {
    for (ArrivalShape shape : ArrivalShape.values()) {
      long[] first = ArrivalCurve.offsetsMs(shape, BUYERS, WINDOW_MS, 7);
      long[] again = ArrivalCurve.offsetsMs(shape, BUYERS, WINDOW_MS, 7);
      long[] other = ArrivalCurve.offsetsMs(shape, BUYERS, WINDOW_MS, 8);

      assertThat(again).as(shape.code()).containsExactly(first);
      assertThat(other).as(shape.code()).isNotEqualTo(first);
    }
  }

  @Test
  void everyBuyerArrivesWithinTheWindowInOrder() {
    for (ArrivalShape shape : ArrivalShape.values()) {
      long[] offsets = ArrivalCurve.offsetsMs(shape, BUYERS, WINDOW_MS, 3);

      assertThat(offsets).hasSize(BUYERS);
      assertThat(offsets).isSorted();
      assertThat(offsets[0]).isGreaterThanOrEqualTo(0);
      assertThat(offsets[BUYERS - 1]).isLessThan(WINDOW_MS);
    }
  }

  @Test
  void aSpikeBringsMostBuyersAtTheOpening() {
    long[] offsets = ArrivalCurve.offsetsMs(ArrivalShape.SPIKE, BUYERS, WINDOW_MS, 11);

    // Exponential with time constant W/5: about 63 % in the first fifth, under 1 % in the last fifth.
    assertThat(share(offsets, 0, WINDOW_MS / 5)).isBetween(0.60, 0.67);
    assertThat(share(offsets, WINDOW_MS * 4 / 5, WINDOW_MS)).isLessThan(0.02);
  }

  @Test
  void aRampBringsThreeTimesMoreBuyersInTheSecondHalfThanTheFirst() {
    long[] offsets = ArrivalCurve.offsetsMs(ArrivalShape.RAMP, BUYERS, WINDOW_MS, 11);

    double firstHalf = share(offsets, 0, WINDOW_MS / 2);
    assertThat(firstHalf).isBetween(0.23, 0.27);
  }

  @Test
  void aFlatCurveFillsEveryTenthOfTheWindowAlike() {
    long[] offsets = ArrivalCurve.offsetsMs(ArrivalShape.FLAT, BUYERS, WINDOW_MS, 11);

    for (int tenth = 0; tenth < 10; tenth++) {
      assertThat(share(offsets, tenth * WINDOW_MS / 10, (tenth + 1) * WINDOW_MS / 10)).isBetween(0.085, 0.115);
    }
  }

  @Test
  void limitsAreEnforcedWithTheValueInTheMessage() {
    assertThatThrownBy(() -> ArrivalCurve.offsetsMs(ArrivalShape.FLAT, -1, WINDOW_MS, 1))
        .hasMessageContaining("but was -1");
    assertThatThrownBy(() -> ArrivalCurve.offsetsMs(ArrivalShape.FLAT, 10, 0, 1)).hasMessageContaining("but was 0");
  }

  private static double share(long[] offsets, long fromMs, long toMs) {
    return Arrays.stream(offsets).filter(t -> t >= fromMs && t < toMs).count() / (double) offsets.length;
  }
}
