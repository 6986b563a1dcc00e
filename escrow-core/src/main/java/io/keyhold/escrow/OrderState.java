package io.keyhold.escrow;

/**
 * Where an order is in its life (docs/order-life.md). Every legal move between two states is
 * an {@link OrderArrow}.
 */
public enum OrderState implements Coded {
  /** Placed, stock reserved, waiting for the buyer's payment until {@link Order#payBy()}. */
  AWAITING_PAYMENT("awaiting_payment", false),
  /** Not paid in time. A payment arriving later follows {@link LatePaymentPolicy}. */
  EXPIRED("expired", true),
  /** Paid; the money is in escrow and no key has arrived yet. */
  FUNDED("funded", false),
  /** At least one key arrived; keys are being checked and no replacement is outstanding. */
  VALIDATING("validating", false),
  /** At least one unit waits for a replacement key from the merchant. */
  RESUPPLYING("resupplying", false),
  /**
   * Every unit still held in escrow has a valid key, still sealed: the buyer may reveal or cancel. Units
   * that could not be fulfilled may have been refunded already.
   */
  READY("ready", false),
  /** The buyer revealed the keys; the inspection window runs. */
  INSPECTION("inspection", false),
  /** The buyer disputed within the inspection window; an arbiter decides. */
  DISPUTED("disputed", false),
  /** Every unit's price went to the merchant (minus the fee). */
  RELEASED("released", true),
  /** Every unit's price went back to the buyer. */
  REFUNDED("refunded", true),
  /** Some units were released to the merchant and the others refunded. */
  PARTIALLY_REFUNDED("partially_refunded", true);

  private static final CodeLookup<OrderState> CODES = CodeLookup.of(OrderState.class, "order state");

  private final String code;
  private final boolean terminal;

  OrderState(String code, boolean terminal) {
    this.code = code;
    this.terminal = terminal;
  }

  @Override
  public String code() {
    return code;
  }

  /** True when no deadline applies any more and the escrow holds nothing for the order. */
  public boolean isTerminal() {
    return terminal;
  }

  /** The state with this code, or an {@link IllegalArgumentException} naming the code. */
  public static OrderState fromCode(String code) {
    return CODES.find(code);
  }
}
