package io.keyhold.simulator.report;

/** How a virtual buyer's visit ended. */
public enum Outcome {
  /** The checkout answered {@code out_of_stock}: no order was placed. */
  SOLD_OUT("sold_out", false),
  /** The checkout was refused for another reason (4xx). */
  REJECTED("rejected", false),
  /** The gateway stayed overloaded (503) through every retry. */
  OVERLOADED("overloaded", false),
  /** The checkout was refused because the shop could not be reached (its server is down). */
  SHOP_UNAVAILABLE("shop_unavailable", false),
  /** Something unexpected: an unreadable answer, a failed call the buyer could not go on after. */
  ERROR("error", false),
  /** The buyer checked out and left without paying (the order expires by itself). */
  ABANDONED("abandoned", false),
  RELEASED("released", true),
  REFUNDED("refunded", true),
  PARTIALLY_REFUNDED("partially_refunded", true),
  EXPIRED("expired", true),
  /** The run ended before the order was terminal. */
  UNFINISHED("unfinished", false);

  private final String code;
  private final boolean completedLifecycle;

  Outcome(String code, boolean completedLifecycle) {
    this.code = code;
    this.completedLifecycle = completedLifecycle;
  }

  public String code() {
    return code;
  }

  /** True when the buyer saw its order reach a terminal state: a completed lifecycle. */
  public boolean completedLifecycle() {
    return completedLifecycle;
  }

  /** The outcome for a terminal order state code, or null for a state that is not terminal. */
  public static Outcome ofTerminalState(String state) {
    return switch (state) {
      case "released" -> RELEASED;
      case "refunded" -> REFUNDED;
      case "partially_refunded" -> PARTIALLY_REFUNDED;
      case "expired" -> EXPIRED;
      default -> null;
    };
  }
}
