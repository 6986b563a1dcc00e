package io.keyhold.gateway.store;

import io.keyhold.escrow.LatePaymentPolicy;
import io.keyhold.escrow.UnknownVerdictPolicy;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A SKU's deadlines, in seconds, each within its bounds (checked here; the API reads them). The order
 * flows hand them to escrow-core's policy.
 *
 * @param payWithinSeconds from checkout to payment
 * @param deliverWithinSeconds from payment to delivered keys
 * @param validateWithinSeconds for a validator to answer before the fail-closed rule applies
 * @param resupplyWithinSeconds for each replacement of a bad key
 * @param maxResupplyAttempts replacements per unit before its refund
 * @param inspectionWindowSeconds after the reveal, before release
 * @param maxHoldSeconds before an order never revealed is released
 * @param unknownVerdict what a key still UNKNOWN at its validation deadline gets: a replacement or a refund
 * @param latePayment what a payment after expiry gets: the keys when stock is still free, or a refund
 */
public record DeadlinePolicy(int payWithinSeconds, int deliverWithinSeconds, int validateWithinSeconds,
    int resupplyWithinSeconds, int maxResupplyAttempts, int inspectionWindowSeconds, int maxHoldSeconds,
    UnknownVerdictPolicy unknownVerdict, LatePaymentPolicy latePayment) {
  public static final int PAY_WITHIN_SECONDS_MIN = 60;
  public static final int PAY_WITHIN_SECONDS_MAX = 86_400;
  public static final int DELIVER_WITHIN_SECONDS_MIN = 10;
  public static final int DELIVER_WITHIN_SECONDS_MAX = 7 * 86_400;
  public static final int VALIDATE_WITHIN_SECONDS_MIN = 10;
  public static final int VALIDATE_WITHIN_SECONDS_MAX = 86_400;
  public static final int RESUPPLY_WITHIN_SECONDS_MIN = 10;
  public static final int RESUPPLY_WITHIN_SECONDS_MAX = 7 * 86_400;
  public static final int MAX_RESUPPLY_ATTEMPTS_MAX = 10;
  public static final int INSPECTION_WINDOW_SECONDS_MIN = 60;
  public static final int INSPECTION_WINDOW_SECONDS_MAX = 30 * 86_400;
  public static final int MAX_HOLD_SECONDS_MIN = 3_600;
  public static final int MAX_HOLD_SECONDS_MAX = 90 * 86_400;

  public static final DeadlinePolicy DEFAULT = new DeadlinePolicy(900, 600, 300, 600, 2, 86_400, 7 * 86_400,
      UnknownVerdictPolicy.RESUPPLY, LatePaymentPolicy.FULFIL_IF_STOCK);


  public DeadlinePolicy {
    check("pay within seconds", payWithinSeconds, PAY_WITHIN_SECONDS_MIN, PAY_WITHIN_SECONDS_MAX);
    check("deliver within seconds", deliverWithinSeconds, DELIVER_WITHIN_SECONDS_MIN, DELIVER_WITHIN_SECONDS_MAX);
    check("validate within seconds", validateWithinSeconds, VALIDATE_WITHIN_SECONDS_MIN, VALIDATE_WITHIN_SECONDS_MAX);
    check("resupply within seconds", resupplyWithinSeconds, RESUPPLY_WITHIN_SECONDS_MIN, RESUPPLY_WITHIN_SECONDS_MAX);
    check("max resupply attempts", maxResupplyAttempts, 0, MAX_RESUPPLY_ATTEMPTS_MAX);
    check("inspection window seconds", inspectionWindowSeconds, INSPECTION_WINDOW_SECONDS_MIN,
        INSPECTION_WINDOW_SECONDS_MAX);
    check("max hold seconds", maxHoldSeconds, MAX_HOLD_SECONDS_MIN, MAX_HOLD_SECONDS_MAX);
    Objects.requireNonNull(unknownVerdict, "unknownVerdict");
    Objects.requireNonNull(latePayment, "latePayment");
  }

  private static void check(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", but was " + value);
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("pay_within_seconds", payWithinSeconds)
        .put("deliver_within_seconds", deliverWithinSeconds)
        .put("validate_within_seconds", validateWithinSeconds)
        .put("resupply_within_seconds", resupplyWithinSeconds)
        .put("max_resupply_attempts", maxResupplyAttempts)
        .put("inspection_window_seconds", inspectionWindowSeconds)
        .put("max_hold_seconds", maxHoldSeconds)
        .put("unknown_verdict_policy", unknownVerdict.code())
        .put("late_payment_policy", latePayment.code());
  }
}
