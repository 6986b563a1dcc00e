package io.keyhold.simulator.load;

/**
 * Everything one virtual buyer will do, decided before the run from the seed alone, so the same seed
 * replays the same crowd whatever the timing of the answers.
 *
 * @param index 0-based, in arrival order
 * @param arrivalMs offset from the start of the run
 * @param shop which of the run's shops the buyer buys from
 * @param quantity units in the order
 * @param behaviour what the buyer does with the order
 * @param payment how the buyer pays
 * @param thinkMs how long the buyer pauses before each of its actions
 * @param award what the arbiter decides if the buyer disputes
 */
public record BuyerPlan(int index, long arrivalMs, int shop, int quantity, Behaviour behaviour, PaymentMove payment,
    long thinkMs, Award award) {

  /** A stable reference the shop passes as {@code buyer_ref}. */
  public String buyerRef() {
    return "sim-buyer-" + index;
  }
}
