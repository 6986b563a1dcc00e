package io.keyhold.escrow;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The deadlines and choices a SKU imposes on its orders. Immutable; an order keeps the policy it was
 * placed with, so changing a SKU never changes the terms of orders already placed.
 *
 * <p>Build it with {@link #builder()}; every value is checked (here and in the canonical constructor,
 * which the gateway uses to restore a stored policy) and a bad one is rejected with the value in the
 * message. Durations are whole seconds, each within its own bounds ({@code PAY_WITHIN_MIN} to
 * {@code PAY_WITHIN_MAX} and so on): these are the bounds and the defaults the HTTP API publishes
 * ({@code openapi.yaml}), held here once.
 *
 * @param payWithin how long a placed order waits for payment before it expires
 * @param deliverWithin how long a funded order waits for the merchant's first keys
 * @param resupplyWithin how long the whole resupply phase may last, from the first replacement
 *     requested, validation of replacements included
 * @param maxResupplyAttempts how many replacements may be requested for one unit (0: none)
 * @param validateWithin how long after its delivery a key may stay without a definite verdict
 *     ({@link KeyVerdict#UNKNOWN} answers are retried until then)
 * @param inspectionWindow how long after the reveal the buyer may dispute
 * @param maxHold how long a ready order waits for the buyer's reveal before the money is released
 * @param unknownVerdictPolicy what happens to keys still unchecked at {@code validateWithin}
 * @param latePaymentPolicy what happens to a payment that arrives after expiry
 * @param compensation what the merchant's deposit pays the buyer per unit it let down (a first key past the
 *     delivery deadline, a resupply ended in a refund), or null for none
 */
public record SkuPolicy(
    Duration payWithin,
    Duration deliverWithin,
    Duration resupplyWithin,
    int maxResupplyAttempts,
    Duration validateWithin,
    Duration inspectionWindow,
    Duration maxHold,
    UnknownVerdictPolicy unknownVerdictPolicy,
    LatePaymentPolicy latePaymentPolicy,
    Compensation compensation) {

  // A payment needs a minute at least (a buyer types a card); a day at most keeps stock from being held idle.
  public static final Duration PAY_WITHIN_MIN = Duration.ofMinutes(1);
  public static final Duration PAY_WITHIN_MAX = Duration.ofDays(1);
  public static final Duration DELIVER_WITHIN_MIN = Duration.ofSeconds(10);
  public static final Duration DELIVER_WITHIN_MAX = Duration.ofDays(7);
  public static final Duration VALIDATE_WITHIN_MIN = Duration.ofSeconds(10);
  public static final Duration VALIDATE_WITHIN_MAX = Duration.ofDays(1);
  public static final Duration RESUPPLY_WITHIN_MIN = Duration.ofSeconds(10);
  public static final Duration RESUPPLY_WITHIN_MAX = Duration.ofDays(7);
  /** The most replacements a policy may allow for one unit. */
  public static final int MAX_RESUPPLY_ATTEMPTS_MAX = 10;
  // The buyer needs a minute at least to try a key; a month at most bounds how long money is held after reveal.
  public static final Duration INSPECTION_WINDOW_MIN = Duration.ofMinutes(1);
  public static final Duration INSPECTION_WINDOW_MAX = Duration.ofDays(30);
  public static final Duration MAX_HOLD_MIN = Duration.ofHours(1);
  public static final Duration MAX_HOLD_MAX = Duration.ofDays(90);

  /** Default {@link #payWithin()}: 15 minutes. */
  public static final Duration DEFAULT_PAY_WITHIN = Duration.ofMinutes(15);
  /** Default {@link #deliverWithin()}: 10 minutes. */
  public static final Duration DEFAULT_DELIVER_WITHIN = Duration.ofMinutes(10);
  /** Default {@link #resupplyWithin()}: 10 minutes. */
  public static final Duration DEFAULT_RESUPPLY_WITHIN = Duration.ofMinutes(10);
  /** Default {@link #maxResupplyAttempts()}: 2. */
  public static final int DEFAULT_MAX_RESUPPLY_ATTEMPTS = 2;
  /** Default {@link #validateWithin()}: 5 minutes. */
  public static final Duration DEFAULT_VALIDATE_WITHIN = Duration.ofMinutes(5);
  /** Default {@link #inspectionWindow()}: 24 hours. */
  public static final Duration DEFAULT_INSPECTION_WINDOW = Duration.ofHours(24);
  /** Default {@link #maxHold()}: 7 days. */
  public static final Duration DEFAULT_MAX_HOLD = Duration.ofDays(7);

  /** The policy without compensation (its shape before deposits existed). */
  public SkuPolicy(Duration payWithin, Duration deliverWithin, Duration resupplyWithin, int maxResupplyAttempts,
      Duration validateWithin, Duration inspectionWindow, Duration maxHold, UnknownVerdictPolicy unknownVerdictPolicy,
      LatePaymentPolicy latePaymentPolicy) {
    this(payWithin, deliverWithin, resupplyWithin, maxResupplyAttempts, validateWithin, inspectionWindow, maxHold,
        unknownVerdictPolicy, latePaymentPolicy, null);
  }

  /** Checks every value; a bad one is rejected with the value in the message. */
  public SkuPolicy {
    checkDuration("payWithin", payWithin, PAY_WITHIN_MIN, PAY_WITHIN_MAX);
    checkDuration("deliverWithin", deliverWithin, DELIVER_WITHIN_MIN, DELIVER_WITHIN_MAX);
    checkDuration("resupplyWithin", resupplyWithin, RESUPPLY_WITHIN_MIN, RESUPPLY_WITHIN_MAX);
    Check.range("maxResupplyAttempts", maxResupplyAttempts, 0, MAX_RESUPPLY_ATTEMPTS_MAX);
    checkDuration("validateWithin", validateWithin, VALIDATE_WITHIN_MIN, VALIDATE_WITHIN_MAX);
    checkDuration("inspectionWindow", inspectionWindow, INSPECTION_WINDOW_MIN, INSPECTION_WINDOW_MAX);
    checkDuration("maxHold", maxHold, MAX_HOLD_MIN, MAX_HOLD_MAX);
    Check.notNull("unknownVerdictPolicy", unknownVerdictPolicy);
    Check.notNull("latePaymentPolicy", latePaymentPolicy);
  }

  private static void checkDuration(String name, Duration value, Duration min, Duration max) {
    Check.notNull(name, value);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be greater than 0, but was " + value);
    }
    if (value.getNano() != 0) {
      throw new IllegalArgumentException(name + " must be whole seconds, but was " + value);
    }
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", but was " + value);
    }
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The policy with every default. */
  public static SkuPolicy defaults() {
    return builder().build();
  }

  /** A builder holding this policy's values, to derive a changed copy. */
  public Builder toBuilder() {
    return new Builder()
        .payWithin(payWithin)
        .deliverWithin(deliverWithin)
        .resupplyWithin(resupplyWithin)
        .maxResupplyAttempts(maxResupplyAttempts)
        .validateWithin(validateWithin)
        .inspectionWindow(inspectionWindow)
        .maxHold(maxHold)
        .unknownVerdictPolicy(unknownVerdictPolicy)
        .latePaymentPolicy(latePaymentPolicy)
        .compensation(compensation);
  }

  /** The terms as evidence details (seconds and codes), recorded when an order is placed. */
  Map<String, String> toDetails() {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("pay_within_seconds", Long.toString(payWithin.getSeconds()));
    details.put("deliver_within_seconds", Long.toString(deliverWithin.getSeconds()));
    details.put("resupply_within_seconds", Long.toString(resupplyWithin.getSeconds()));
    details.put("max_resupply_attempts", Integer.toString(maxResupplyAttempts));
    details.put("validate_within_seconds", Long.toString(validateWithin.getSeconds()));
    details.put("inspection_window_seconds", Long.toString(inspectionWindow.getSeconds()));
    details.put("max_hold_seconds", Long.toString(maxHold.getSeconds()));
    details.put("unknown_verdict_policy", unknownVerdictPolicy.code());
    details.put("late_payment_policy", latePaymentPolicy.code());
    if (compensation != null) {
      // Only when named, so that the terms of orders placed without one read as before.
      details.put("compensation_basis", compensation.basis().code());
      details.put("compensation_value", Long.toString(compensation.value()));
    }
    return details;
  }

  /**
   * Builds a {@link SkuPolicy}. Setters check their value at once, so the bad value is reported
   * where it was given; {@link #build()} checks the whole again.
   */
  public static final class Builder {
    private Duration payWithin = DEFAULT_PAY_WITHIN;
    private Duration deliverWithin = DEFAULT_DELIVER_WITHIN;
    private Duration resupplyWithin = DEFAULT_RESUPPLY_WITHIN;
    private int maxResupplyAttempts = DEFAULT_MAX_RESUPPLY_ATTEMPTS;
    private Duration validateWithin = DEFAULT_VALIDATE_WITHIN;
    private Duration inspectionWindow = DEFAULT_INSPECTION_WINDOW;
    private Duration maxHold = DEFAULT_MAX_HOLD;
    private UnknownVerdictPolicy unknownVerdictPolicy = UnknownVerdictPolicy.RESUPPLY;
    private LatePaymentPolicy latePaymentPolicy = LatePaymentPolicy.FULFIL_IF_STOCK;
    private Compensation compensation;

    private Builder() {}

    /** See {@link SkuPolicy#payWithin()}. */
    public Builder payWithin(Duration value) {
      checkDuration("payWithin", value, PAY_WITHIN_MIN, PAY_WITHIN_MAX);
      this.payWithin = value;
      return this;
    }

    /** See {@link SkuPolicy#deliverWithin()}. */
    public Builder deliverWithin(Duration value) {
      checkDuration("deliverWithin", value, DELIVER_WITHIN_MIN, DELIVER_WITHIN_MAX);
      this.deliverWithin = value;
      return this;
    }

    /** See {@link SkuPolicy#resupplyWithin()}. */
    public Builder resupplyWithin(Duration value) {
      checkDuration("resupplyWithin", value, RESUPPLY_WITHIN_MIN, RESUPPLY_WITHIN_MAX);
      this.resupplyWithin = value;
      return this;
    }

    /** See {@link SkuPolicy#maxResupplyAttempts()}. */
    public Builder maxResupplyAttempts(int value) {
      Check.range("maxResupplyAttempts", value, 0, MAX_RESUPPLY_ATTEMPTS_MAX);
      this.maxResupplyAttempts = value;
      return this;
    }

    /** See {@link SkuPolicy#validateWithin()}. */
    public Builder validateWithin(Duration value) {
      checkDuration("validateWithin", value, VALIDATE_WITHIN_MIN, VALIDATE_WITHIN_MAX);
      this.validateWithin = value;
      return this;
    }

    /** See {@link SkuPolicy#inspectionWindow()}. */
    public Builder inspectionWindow(Duration value) {
      checkDuration("inspectionWindow", value, INSPECTION_WINDOW_MIN, INSPECTION_WINDOW_MAX);
      this.inspectionWindow = value;
      return this;
    }

    /** See {@link SkuPolicy#maxHold()}. */
    public Builder maxHold(Duration value) {
      checkDuration("maxHold", value, MAX_HOLD_MIN, MAX_HOLD_MAX);
      this.maxHold = value;
      return this;
    }

    /** See {@link SkuPolicy#unknownVerdictPolicy()}. */
    public Builder unknownVerdictPolicy(UnknownVerdictPolicy value) {
      this.unknownVerdictPolicy = Objects.requireNonNull(value, "unknownVerdictPolicy must not be null");
      return this;
    }

    /** See {@link SkuPolicy#latePaymentPolicy()}. */
    public Builder latePaymentPolicy(LatePaymentPolicy value) {
      this.latePaymentPolicy = Objects.requireNonNull(value, "latePaymentPolicy must not be null");
      return this;
    }

    /** See {@link SkuPolicy#compensation()}; null for none. */
    public Builder compensation(Compensation value) {
      this.compensation = value;
      return this;
    }

    /** The policy. */
    public SkuPolicy build() {
      return new SkuPolicy(payWithin, deliverWithin, resupplyWithin, maxResupplyAttempts,
          validateWithin, inspectionWindow, maxHold, unknownVerdictPolicy, latePaymentPolicy, compensation);
    }
  }
}
