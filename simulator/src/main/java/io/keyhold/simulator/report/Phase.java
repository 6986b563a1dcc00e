package io.keyhold.simulator.report;

/** The parts of an order's life whose latency the run measures. */
public enum Phase {
  /** The shop's {@code POST /v1/checkout-sessions}, its served attempt: stock reserved, order placed. */
  CHECKOUT("checkout", "checkout"),
  /** From the buyer pressing "Pay" to the order being funded (the payment notice processed). */
  PAY_TO_FUNDED("pay_to_funded", "pay → funded"),
  /** From funded to every key delivered and checked valid. */
  FUNDED_TO_READY("funded_to_ready", "funded → key ready"),
  /** From ready to released (reveal and confirm, or the arbiter). */
  READY_TO_RELEASED("ready_to_released", "ready → released"),
  /** From arrival to a terminal state, for orders that reached one. */
  LIFECYCLE("lifecycle", "whole life"),
  /** How long an arriving buyer waited for a place under the in-flight limit. */
  ADMISSION_WAIT("admission_wait", "admission wait"),
  /** How long a buyer given a place in the gateway's waiting room waited its turn there, before its checkout. */
  WAITING_ROOM("waiting_room", "gateway waiting room"),
  /**
   * How late the simulator's own event loop ran a timer (every buyer's calls are timed on it): what any other phase
   * may carry on top of the gateway's time when the simulator is busy.
   */
  SIMULATOR_LAG("simulator_lag", "simulator's own lag");

  private final String code;
  private final String label;

  Phase(String code, String label) {
    this.code = code;
    this.label = label;
  }

  public String code() {
    return code;
  }

  public String label() {
    return label;
  }
}
