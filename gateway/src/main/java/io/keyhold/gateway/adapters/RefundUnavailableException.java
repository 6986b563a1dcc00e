package io.keyhold.gateway.adapters;

import java.util.regex.Pattern;

/**
 * A refund the provider cannot make, for good: it has no refund API, or it refused in a way asking again
 * will not change. The gateway records the refund as owed by the operator (an operator report and the order's
 * evidence show it) rather than asking again forever. The message names what happened, never a secret.
 */
public final class RefundUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private static final Pattern CAUSE = Pattern.compile("[a-z0-9_]{1,32}");

  /** The provider has no refund API. */
  public static final String NO_REFUND_API = "no_refund_api";
  /** The provider answered that it will not refund this payment. */
  public static final String REFUSED = "refused";

  private final String cause;

  /** @param cause a short stable code, {@code [a-z0-9_]{1,32}}, stored with the refund owed */
  public RefundUnavailableException(String cause, String message) {
    super(message, null, false, false);
    if (cause == null || !CAUSE.matcher(cause).matches()) {
      throw new IllegalArgumentException("a refund cause must match " + CAUSE + ", but was " + cause);
    }
    this.cause = cause;
  }

  /** Why the refund is owed: a stable code. */
  public String code() {
    return cause;
  }
}
