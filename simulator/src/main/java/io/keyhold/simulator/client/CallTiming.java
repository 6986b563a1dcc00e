package io.keyhold.simulator.client;

/**
 * How one call's time was spent, for a caller that asks (a shop's checkout: {@link MerchantCalls#createCheckout(
 * String, String, int, String, String, CallTiming)}): how long it waited its turn in the gateway's waiting room,
 * from its first send to the start of the send that got its final answer, for a call given a place; and how long
 * that send, the served attempt, took.
 *
 * <p>One holder per call, filled in by the transport while the call runs and read once the call's future has
 * completed; not thread-safe.
 */
public final class CallTiming {
  private int sends;
  private long firstSentAtNs;
  private long lastSentAtNs;
  private long lastEndedAtNs;
  private boolean lastEnded;
  private boolean placeGiven;

  /** A send of the call starts now ({@link System#nanoTime()}). */
  void sent(long nowNs) {
    if (sends++ == 0) {
      firstSentAtNs = nowNs;
    }
    lastSentAtNs = nowNs;
    lastEnded = false;
  }

  /** The latest send ended now: answered, or failed without an answer. */
  void ended(long nowNs) {
    lastEndedAtNs = nowNs;
    lastEnded = true;
  }

  /** An answer gave the call a place in the gateway's waiting room (a {@code Keyhold-Ticket}). */
  void givenPlace() {
    placeGiven = true;
  }

  /** True once an answer gave the call a place in the gateway's waiting room. */
  public boolean placeGiven() {
    return placeGiven;
  }

  /** How many times the call was sent (0: never, the run had stopped). */
  public int sends() {
    return sends;
  }

  /**
   * For a call given a place: from its first send to the start of its latest send, the one that got the final
   * answer; else -1.
   */
  public long waitingRoomMicros() {
    return placeGiven && sends > 0 ? (lastSentAtNs - firstSentAtNs) / 1_000 : -1;
  }

  /** How long the latest send, the one that got the final answer, took; -1 when no send has ended. */
  public long servedMicros() {
    return sends > 0 && lastEnded ? (lastEndedAtNs - lastSentAtNs) / 1_000 : -1;
  }
}
