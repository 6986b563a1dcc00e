package io.keyhold.gateway.engine;

/**
 * Delivery times (from an order's funding to a unit's first key) counted in fixed buckets on a log scale, so a
 * day's counts add to another day's element by element and a window's median and p95 come from the sum. Bucket 0
 * holds times under {@link #FIRST_MS}; bucket k holds times in [FIRST_MS * 2^((k-1)/4), FIRST_MS * 2^(k/4)), four
 * buckets per doubling (a quantile is known within 19 %); the last bucket holds everything longer.
 */
public final class DeliveryTimes {
  /** The upper bound of the first bucket: stock deliveries take a few milliseconds. */
  public static final long FIRST_MS = 10;
  /** Buckets per doubling of the time. */
  static final int PER_DOUBLING = 4;
  /** 10 ms * 2^(99/4) is about 3.3 days, past any delivery deadline the API allows; the last bucket takes more. */
  public static final int BUCKETS = 100;

  private DeliveryTimes() {}

  /** The bucket of a delivery that took {@code ms}. */
  public static int bucketOf(long ms) {
    if (ms < FIRST_MS) {
      return 0;
    }
    int k = (int) Math.floor(PER_DOUBLING * (Math.log((double) ms / FIRST_MS) / Math.log(2))) + 1;
    return Math.min(BUCKETS - 1, k);
  }

  /** The longest time bucket {@code k} holds (rounded to the millisecond), the figure a quantile reports. */
  public static long upperMs(int k) {
    return Math.round(FIRST_MS * Math.pow(2, (double) k / PER_DOUBLING));
  }

  /**
   * The upper bound of the bucket holding the {@code q} quantile (0 < q <= 1) of the counted times, or -1 when
   * nothing is counted.
   */
  public static long quantileMs(long[] buckets, double q) {
    long total = 0;
    for (long count : buckets) {
      total += count;
    }
    if (total == 0) {
      return -1;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int k = 0; k < buckets.length; k++) {
      seen += buckets[k];
      if (seen >= rank) {
        return upperMs(k);
      }
    }
    return upperMs(buckets.length - 1);
  }
}
