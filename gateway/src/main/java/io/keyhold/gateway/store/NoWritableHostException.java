package io.keyhold.gateway.store;

/**
 * None of the database location's hosts takes writes now: each refused, did not answer in time or is a standby
 * (a failover under way, between the old primary's going and the new one's promotion). An outage of the
 * database ({@link DatabaseOutage#isOutage}), not a bug. Its message names each host and why it was passed over,
 * never a password.
 */
public final class NoWritableHostException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  NoWritableHostException(String message) {
    // Thrown at every connection attempt while it lasts; the message says all, a stack trace would not.
    super(message, null, false, false);
  }
}
