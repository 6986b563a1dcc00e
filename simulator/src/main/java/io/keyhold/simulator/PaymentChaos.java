package io.keyhold.simulator;

import io.keyhold.simulator.load.PaymentMove;
import io.vertx.core.json.JsonObject;

/**
 * Shares of paying buyers whose payment is chaotic (their sum at most 1; the rest pay normally).
 *
 * @param repeatRate "Pay" pressed twice at once for one payment
 * @param doubleRate two distinct payments for one order
 * @param lateRate payment after the pay deadline
 * @param noticeChaos whether the gateway's sandbox provider repeats and reorders its payment notices
 *     (set on an in-process gateway; a running gateway has its own {@code engine.sandbox_chaos} setting)
 */
public record PaymentChaos(double repeatRate, double doubleRate, double lateRate, boolean noticeChaos) {
  public static final PaymentChaos NONE = new PaymentChaos(0, 0, 0, false);

  public PaymentChaos {
    FaultMix.rate("repeat pay rate", repeatRate);
    FaultMix.rate("double pay rate", doubleRate);
    FaultMix.rate("late pay rate", lateRate);
    if (repeatRate + doubleRate + lateRate > 1 + 1e-9) {
      throw new IllegalArgumentException("repeat, double and late pay rates must add up to at most 1, but added up to "
          + (repeatRate + doubleRate + lateRate));
    }
  }

  /** The move for {@code u} in {@code [0, 1)}. */
  public PaymentMove draw(double u) {
    if (u < repeatRate) {
      return PaymentMove.REPEAT;
    }
    if (u < repeatRate + doubleRate) {
      return PaymentMove.DOUBLE;
    }
    if (u < repeatRate + doubleRate + lateRate) {
      return PaymentMove.LATE;
    }
    return PaymentMove.NORMAL;
  }

  public JsonObject toJson() {
    return new JsonObject().put("repeat_rate", repeatRate).put("double_rate", doubleRate).put("late_rate", lateRate)
        .put("notice_chaos", noticeChaos);
  }
}
