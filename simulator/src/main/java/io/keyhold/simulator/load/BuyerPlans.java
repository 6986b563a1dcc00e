package io.keyhold.simulator.load;

import io.keyhold.simulator.SimulationConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws the crowd of a run from its seed: the arrival offsets from the {@link ArrivalCurve}, and for
 * each buyer its own generator (seeded from the run's seed and the buyer's index), so one buyer's
 * choices do not depend on how many others there are or on the order they are drawn in.
 */
public final class BuyerPlans {
  /** Mixes the run's seed apart from the arrival curve's, which uses the seed itself. */
  private static final long BUYER_STREAM = 0x9E3779B97F4A7C15L;

  private BuyerPlans() {}

  public static List<BuyerPlan> draw(SimulationConfig config) {
    long[] arrivals = ArrivalCurve.offsetsMs(config.arrival(), config.buyers(), config.arrivalSeconds() * 1000L,
        config.seed());
    List<BuyerPlan> plans = new ArrayList<>(arrivals.length);
    for (int i = 0; i < arrivals.length; i++) {
      SplittableRandom random = new SplittableRandom(mix(config.seed() ^ BUYER_STREAM, i));
      int shop = random.nextInt(config.shops());
      int quantity = config.quantityMin() == config.quantityMax() ? config.quantityMin()
          : random.nextInt(config.quantityMin(), config.quantityMax() + 1);
      Behaviour behaviour = config.behaviours().draw(random.nextDouble());
      PaymentMove payment = config.chaos().draw(random.nextDouble());
      long think = config.thinkMsMax() == 0 ? 0 : random.nextLong(config.thinkMsMax() + 1L);
      Award award = random.nextDouble() < config.disputeRefundShare() ? Award.REFUND : Award.RELEASE;
      plans.add(new BuyerPlan(i, arrivals[i], shop, quantity, behaviour, payment, think, award));
    }
    return Collections.unmodifiableList(plans);
  }

  /** SplitMix64's finalizer over seed and index: well spread seeds for neighbouring indexes. */
  static long mix(long seed, long index) {
    long z = seed + (index + 1) * BUYER_STREAM;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
