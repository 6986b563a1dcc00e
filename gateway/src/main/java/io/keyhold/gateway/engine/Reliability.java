package io.keyhold.gateway.engine;

import io.keyhold.gateway.store.MerchantStats.Counts;
import java.time.LocalDate;

/**
 * A merchant's reliability over a window of days, from its {@link Counts}: the parts a buyer can weigh, each with
 * its own sample size, and one score.
 *
 * <p>The score is 0 to 100: the weighted mean of the on-time rate ({@link #ON_TIME_WEIGHT}), the valid-key rate
 * ({@link #VALID_KEYS_WEIGHT}), the share of closed orders not refunded ({@link #NOT_REFUNDED_WEIGHT}) and the
 * share of closed orders without a dispute lost ({@link #DISPUTES_WEIGHT}), over the parts that have a sample
 * (a part without one lends its weight to the others), rounded. Below {@link #DELIVERIES_MIN} units delivered or
 * missed in the window there is no score: "not enough data".
 *
 * @param merchantId the merchant
 * @param name the merchant's name
 * @param from the first UTC day of the window
 * @param to the last UTC day of the window (today)
 * @param counts the window's counts
 */
public record Reliability(String merchantId, String name, LocalDate from, LocalDate to, Counts counts) {
  /** Units delivered or missed below which a score would say more than it knows. */
  public static final long DELIVERIES_MIN = 20;
  public static final int ON_TIME_WEIGHT = 35;
  public static final int VALID_KEYS_WEIGHT = 30;
  public static final int NOT_REFUNDED_WEIGHT = 20;
  public static final int DISPUTES_WEIGHT = 15;

  /** Units whose delivery was judged: first keys on time or late, and deadlines missed. */
  public long deliveries() {
    return counts.deliveriesOnTime() + counts.deliveriesLate();
  }

  /** On time over {@link #deliveries()}, or null without a sample. */
  public Double onTimeRate() {
    return ratio(counts.deliveriesOnTime(), deliveries());
  }

  public Double invalidKeyRate() {
    return ratio(counts.keysInvalid(), counts.keysChecked());
  }

  public long resupplies() {
    return counts.resuppliesSucceeded() + counts.resuppliesFailed();
  }

  public Double resupplySuccessRate() {
    return ratio(counts.resuppliesSucceeded(), resupplies());
  }

  public Double refundRate() {
    return ratio(counts.ordersRefunded(), counts.ordersClosed());
  }

  /** Disputes lost over orders closed, or null without a sample. */
  public Double disputesLostRate() {
    return ratio(counts.disputesLost(), counts.ordersClosed());
  }

  /** The median delivery time (the upper bound of its bucket), or null when nothing was delivered. */
  public Long deliveryMsMedian() {
    return quantile(0.5);
  }

  public Long deliveryMsP95() {
    return quantile(0.95);
  }

  public boolean enoughData() {
    return deliveries() >= DELIVERIES_MIN;
  }

  /** The score, 0 to 100, or null with not enough data. */
  public Integer score() {
    if (!enoughData()) {
      return null;
    }
    double weighted = 0;
    double weights = 0;
    Double[] good = {onTimeRate(), complement(invalidKeyRate()), complement(refundRate()),
        complement(disputesLostRate())};
    int[] weight = {ON_TIME_WEIGHT, VALID_KEYS_WEIGHT, NOT_REFUNDED_WEIGHT, DISPUTES_WEIGHT};
    for (int i = 0; i < good.length; i++) {
      if (good[i] != null) {
        weighted += weight[i] * good[i];
        weights += weight[i];
      }
    }
    return (int) Math.round(100 * weighted / weights);
  }

  private Long quantile(double q) {
    long ms = DeliveryTimes.quantileMs(counts.deliveryMsBuckets(), q);
    return ms < 0 ? null : ms;
  }

  private static Double complement(Double rate) {
    return rate == null ? null : Math.max(0, 1 - rate);
  }

  private static Double ratio(long part, long whole) {
    return whole == 0 ? null : Math.min(1.0, (double) part / whole);
  }
}
