package io.keyhold.adapters.spi;

import java.util.Objects;

/**
 * The call may or may not have taken effect at the merchant: the answer timed out, the connection
 * broke, the merchant failed ({@code 5xx}), or its answer could not be trusted or read. The caller
 * must not conclude anything from it — not a refund, not a release — and asks again later with the
 * same data, which the protocol's idempotency makes safe.
 */
public final class OutcomeUnknownException extends AdapterException {

  private static final long serialVersionUID = 1L;

  /** What kept the outcome from being known. Codes are stable. */
  public enum Cause {
    /** No answer within the time limit. */
    TIMEOUT("timeout"),
    /** The connection could not be made or broke before a full answer arrived. */
    CONNECTION("connection"),
    /** The merchant answered with a server error. */
    SERVER_ERROR("server_error"),
    /** The answer was not what the protocol says (not JSON, wrong fields, too large, wrong request id). */
    MALFORMED_ANSWER("malformed_answer"),
    /** The answer's signature was missing, forged, stale or replayed. */
    BAD_SIGNATURE("bad_signature");

    private final String code;

    Cause(String code) {
      this.code = code;
    }

    /** The stable code of this cause. */
    public String code() {
      return code;
    }
  }

  private final Cause reason;

  /** An unknown outcome for {@code reason}, with a detail that must not contain keys or secrets. */
  public OutcomeUnknownException(Cause reason, String detail) {
    this(reason, detail, null);
  }

  /** As {@link #OutcomeUnknownException(Cause, String)}, keeping the underlying failure. */
  public OutcomeUnknownException(Cause reason, String detail, Throwable cause) {
    super("outcome unknown (" + Objects.requireNonNull(reason, "reason").code() + "): " + detail, cause);
    this.reason = reason;
  }

  /** What kept the outcome from being known. */
  public Cause reason() {
    return reason;
  }

  @Override
  public String code() {
    return reason.code();
  }

  @Override
  public boolean mayHaveTakenEffect() {
    return true;
  }
}
