package io.keyhold.adapters.spi;

import java.util.Objects;

/**
 * The call was not sent: the merchant's circuit breaker is open or its bulkhead is full. Nothing
 * happened at the merchant. The caller tries again later (an outbox retry, the next sweep); it never
 * waits in line, so one slow merchant cannot hold up calls to another.
 */
public final class CallRejectedException extends AdapterException {

  private static final long serialVersionUID = 1L;

  /** Why the call was not sent. Codes are stable. */
  public enum Reason {
    /** The merchant failed too often lately; calls are paused. */
    CIRCUIT_OPEN("circuit_open"),
    /** As many calls as the policy allows are already under way to this merchant. */
    BULKHEAD_FULL("bulkhead_full");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    /** The stable code of this reason. */
    public String code() {
      return code;
    }
  }

  private final Reason reason;

  /** A rejection for {@code reason}, naming the policy ({@code name}) that rejected it. */
  public CallRejectedException(Reason reason, String name) {
    super("call not sent (" + Objects.requireNonNull(reason, "reason").code() + ") by policy " + name, null);
    this.reason = reason;
  }

  /** Why the call was not sent. */
  public Reason reason() {
    return reason;
  }

  @Override
  public String code() {
    return reason.code();
  }

  @Override
  public boolean mayHaveTakenEffect() {
    return false;
  }
}
