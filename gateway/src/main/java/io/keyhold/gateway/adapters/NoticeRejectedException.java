package io.keyhold.gateway.adapters;

/**
 * A notice that is not authentic (missing, malformed, stale or wrong signature) or cannot be read.
 * The message names what is wrong, never a secret or the body.
 */
public final class NoticeRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NoticeRejectedException(String message) {
    super(message, null, false, false);
  }
}
