package io.keyhold.simulator;

import io.keyhold.simulator.load.Behaviour;
import io.vertx.core.json.JsonObject;

/**
 * Relative weights of what buyers do with their orders (any non-negative numbers, at least one above
 * zero); {@link #draw(double)} turns a uniform draw into a behaviour.
 */
public record BehaviourMix(double confirm, double dispute, double cancel, double abandon, double inspect) {
  public BehaviourMix {
    weight("confirm", confirm);
    weight("dispute", dispute);
    weight("cancel", cancel);
    weight("abandon", abandon);
    weight("inspect", inspect);
    if (confirm + dispute + cancel + abandon + inspect <= 0) {
      throw new IllegalArgumentException("behaviour weights must not all be 0");
    }
  }

  /** The behaviour for {@code u} in {@code [0, 1)}. */
  public Behaviour draw(double u) {
    double total = confirm + dispute + cancel + abandon + inspect;
    double x = u * total;
    if ((x -= confirm) < 0) {
      return Behaviour.CONFIRM;
    }
    if ((x -= dispute) < 0) {
      return Behaviour.DISPUTE;
    }
    if ((x -= cancel) < 0) {
      return Behaviour.CANCEL;
    }
    if ((x -= abandon) < 0) {
      return Behaviour.ABANDON;
    }
    return inspect > 0 ? Behaviour.INSPECT : Behaviour.CONFIRM;
  }

  public JsonObject toJson() {
    return new JsonObject().put("confirm", confirm).put("dispute", dispute).put("cancel", cancel)
        .put("abandon", abandon).put("inspect", inspect);
  }

  private static void weight(String name, double value) {
    if (!(value >= 0 && value <= 1_000_000)) {
      throw new IllegalArgumentException(name + " weight must be between 0 and 1000000, but was " + value);
    }
  }
}
