package io.keyhold.simulator.load;

/** How a virtual buyer pays; the chaotic moves test that one payment funds one order once. */
public enum PaymentMove {
  /** One payment, confirmed once. */
  NORMAL("normal"),
  /** One payment, its "Pay" pressed twice at the same moment. */
  REPEAT("repeat"),
  /** Two distinct payments for the same order: the second must be refunded. */
  DOUBLE("double"),
  /** Pays after the pay deadline: fulfilled if stock can still be reserved, else refunded at once. */
  LATE("late");

  private final String code;

  PaymentMove(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
