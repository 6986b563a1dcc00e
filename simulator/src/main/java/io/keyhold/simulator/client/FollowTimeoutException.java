package io.keyhold.simulator.client;

/** The order did not reach the awaited state before the buyer's deadline; holds the last view seen, if any. */
public final class FollowTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient OrderView last;

  public FollowTimeoutException(String orderId, OrderView last) {
    super("order " + orderId + " did not reach the awaited state in time; last seen "
        + (last == null ? "nothing" : last.state()));
    this.last = last;
  }

  /** The last view of the order seen, or null. */
  public OrderView last() {
    return last;
  }
}
