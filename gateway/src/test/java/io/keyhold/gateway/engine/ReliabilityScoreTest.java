package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.store.MerchantStats.Counts;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/** The score's arithmetic and the delivery-time buckets, apart from the database (the flows are in MerchantReliabilityTest). */
class ReliabilityScoreTest {
  static final LocalDate TODAY = LocalDate.of(2026, 1, 30);

  @Test
  void aPartWithoutASampleLendsItsWeightToTheOthers() {
    // 19 of 20 on time, 2 of 20 keys invalid, no order closed yet: (35 * 0.95 + 30 * 0.9) / 65.
    Reliability r = reliability(new Counts(19, 1, 20, 2, 0, 0, 0, 0, 0, 0, new long[DeliveryTimes.BUCKETS]));
    assertThat(r.refundRate()).isNull();
    assertThat(r.score()).isEqualTo((int) Math.round(100 * (35 * 0.95 + 30 * 0.9) / 65));
  }

  @Test
  void belowTheMinimumSampleThereIsNoScore() {
    Reliability r = reliability(new Counts(Reliability.DELIVERIES_MIN - 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        new long[DeliveryTimes.BUCKETS]));
    assertThat(r.enoughData()).isFalse();
    assertThat(r.score()).isNull();
    assertThat(r.onTimeRate()).isEqualTo(1.0);
  }

  @Test
  void theMedianAndP95AreTheUpperBoundsOfTheirBuckets() {
    long[] buckets = new long[DeliveryTimes.BUCKETS];
    for (int i = 0; i < 90; i++) {
      buckets[DeliveryTimes.bucketOf(1_000)]++;
    }
    for (int i = 0; i < 10; i++) {
      buckets[DeliveryTimes.bucketOf(60_000)]++;
    }
    Reliability r = reliability(new Counts(100, 0, 0, 0, 0, 0, 0, 0, 0, 0, buckets));
    assertThat(r.deliveryMsMedian()).isBetween(1_000L, 1_190L);
    assertThat(r.deliveryMsP95()).isBetween(60_000L, 71_400L);
  }

  @Test
  void everyTimeFallsInABucketWhoseBoundsHoldIt() {
    for (long ms : new long[] {0, 9, 10, 11, 99, 1_000, 59_999, 3_600_000, 86_400_000}) {
      int k = DeliveryTimes.bucketOf(ms);
      assertThat(ms).as("bucket %d", k).isLessThan(DeliveryTimes.upperMs(k));
      if (k > 0) {
        assertThat(ms).as("bucket %d", k).isGreaterThanOrEqualTo(DeliveryTimes.upperMs(k - 1) - 1);
      }
    }
    assertThat(DeliveryTimes.bucketOf(Long.MAX_VALUE)).isEqualTo(DeliveryTimes.BUCKETS - 1);
  }

  private static Reliability reliability(Counts counts) {
    return new Reliability("mer_" + "a".repeat(24), "Shop", TODAY.minusDays(29), TODAY, counts);
  }
}
