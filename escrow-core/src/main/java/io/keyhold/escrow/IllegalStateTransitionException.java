package io.keyhold.escrow;

/**
 * A move between two order states that is not an {@link OrderArrow}. It signals a programming error
 * (the domain itself never attempts one), so it is unchecked and names both states.
 */
public final class IllegalStateTransitionException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final OrderState from;
  private final OrderState to;

  /** An exception for the move {@code from} → {@code to}. */
  public IllegalStateTransitionException(OrderState from, OrderState to) {
    super("no order arrow from " + from + " to " + to);
    this.from = from;
    this.to = to;
  }

  /** The state the move started from. */
  public OrderState from() {
    return from;
  }

  /** The state the move tried to reach. */
  public OrderState to() {
    return to;
  }
}
