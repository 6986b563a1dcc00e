package io.keyhold.simulator.audit;

/** The stable codes of the simulator's own checks (the gateway's are {@code gateway_invariant_<n>}). */
public final class ViolationCodes {
  /** A terminal order where what the buyer paid differs from what was released plus refunded. */
  public static final String MONEY_MISMATCH = "money_mismatch";
  /** An order that paid out more (released + refunded) than the buyer paid into it. */
  public static final String PAID_OUT_MORE_THAN_IN = "paid_out_more_than_in";
  /**
   * The gateway answered every attempt to confirm a payment with an error (5xx: "not done, retry"),
   * yet the payment was taken: an answer that lies about the outcome.
   */
  public static final String REFUSED_PAYMENT_TAKEN = "refused_payment_taken";
  /** One key revealed to two different buyers. */
  public static final String KEY_TO_TWO_BUYERS = "key_to_two_buyers";
  /** One key revealed twice to the same buyer, for two different units. */
  public static final String KEY_TWICE_TO_BUYER = "key_twice_to_buyer";
  /** More keys sold (units valid or released) of a SKU than the SKU had in stock. */
  public static final String OVERSOLD = "oversold";
  /** An order not terminal although its deadline, plus the sweeper's lag, has passed. */
  public static final String OVERDUE = "overdue";
  /** A unit the buyer revealed that is valid or released but showed no key ("delivered" without a key). */
  public static final String RELEASED_WITHOUT_KEY = "released_without_key";
  /** An order the simulator could not read at the end, so it could not be audited. */
  public static final String UNOBSERVED = "unobserved";
  /** The gateway accepted a key it already held. */
  public static final String DUPLICATE_UPLOAD_ACCEPTED = "duplicate_upload_accepted";
  /** The gateway's {@code /admin/v1/audit} did not answer, or not readably. */
  public static final String GATEWAY_AUDIT_UNAVAILABLE = "gateway_audit_unavailable";
  /** The gateway's audit said {@code ok: false} without naming a failed invariant. */
  public static final String GATEWAY_AUDIT_NOT_OK = "gateway_audit_not_ok";
  /** Prefix of a failed invariant of the gateway's audit, followed by its number. */
  public static final String GATEWAY_INVARIANT_PREFIX = "gateway_invariant_";

  private ViolationCodes() {}
}
