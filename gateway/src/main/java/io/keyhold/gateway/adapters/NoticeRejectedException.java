package io.keyhold.gateway.adapters;

import java.util.regex.Pattern;

/**
 * A notice that is not authentic (missing, malformed, stale or wrong signature) or cannot be read.
 * The message names what is wrong, never a secret or the body; the {@link #reason()} is a stable code for
 * metrics and logs.
 */
public final class NoticeRejectedException extends RuntimeException {
  /** The reason of a notice refused for something other than its signature. */
  public static final String REASON_OTHER = "other";
  /** The reason of a notice whose body is missing or too large. */
  public static final String REASON_TOO_LARGE = "too_large";
  /** The reason of a notice whose signature verified but whose body cannot be read. */
  public static final String REASON_UNREADABLE = "unreadable";

  private static final long serialVersionUID = 1L;
  private static final Pattern REASON = Pattern.compile("[a-z0-9_]{1,32}");

  private final String reason;

  /**
   * @param reason a short stable code, {@code [a-z0-9_]{1,32}}: a signature check's code ({@code mismatch},
   *     {@code stale}...) or one of the constants here; it becomes a metric label, so never a value from the
   *     notice
   */
  public NoticeRejectedException(String reason, String message) {
    super(message, null, false, false);
    if (reason == null || !REASON.matcher(reason).matches()) {
      throw new IllegalArgumentException("a notice rejection reason must match " + REASON + ", but was " + reason);
    }
    this.reason = reason;
  }

  public NoticeRejectedException(String message) {
    this(REASON_OTHER, message);
  }

  /** Why the notice was refused: a stable, low-cardinality code. */
  public String reason() {
    return reason;
  }
}
