package io.keyhold.simulator.load;

/** What a virtual buyer does with its order once it can; one is drawn per buyer from the behaviour mix. */
public enum Behaviour {
  /** Pays, reveals the keys, confirms receipt: the money goes to the shop at once. */
  CONFIRM("confirm"),
  /** Pays, reveals, disputes; the simulator's arbiter then decides. */
  DISPUTE("dispute"),
  /** Pays, then cancels before revealing: full refund, the key goes back unseen. */
  CANCEL("cancel"),
  /** Checks out but never pays: the order expires at its pay deadline. */
  ABANDON("abandon"),
  /** Pays and reveals but never confirms: released when the inspection window ends. */
  INSPECT("inspect");

  private final String code;

  Behaviour(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
