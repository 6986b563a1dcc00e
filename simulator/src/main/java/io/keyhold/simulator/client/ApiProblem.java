package io.keyhold.simulator.client;

/**
 * A gateway answer that is not a success: its HTTP status and the problem's stable {@code code}
 * (RFC 9457), or {@value #NO_ANSWER} when no answer came (connection refused, timeout).
 * The message never holds a token or a card key: only the method, the path template and the problem.
 */
public final class ApiProblem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The code of a call that got no HTTP answer at all. */
  public static final String NO_ANSWER = "no_answer";
  /** The code of a call not sent because its caller had stopped (the run ended). */
  public static final String NOT_SENT = "not_sent";
  /** The code of an answer that is not a problem document (a proxy's page, an empty body). */
  public static final String UNREADABLE = "unreadable_answer";

  private final int status;
  private final String code;
  private final long retryAfterMs;

  public ApiProblem(String operation, int status, String code, String detail, long retryAfterMs) {
    super(operation + " answered " + status + " " + code + (detail == null ? "" : ": " + detail));
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  /** A call that got no answer; {@code cause} is kept for the log, not for its message. */
  public static ApiProblem noAnswer(String operation, Throwable cause) {
    ApiProblem problem = new ApiProblem(operation, 0, NO_ANSWER, cause.getClass().getSimpleName()
        + (cause.getMessage() == null ? "" : " " + cause.getMessage()), -1);
    problem.initCause(cause);
    return problem;
  }

  /** The HTTP status, or 0 when no answer came. */
  public int status() {
    return status;
  }

  /** The problem's stable code ({@code out_of_stock}, {@code overloaded}, ...). */
  public String code() {
    return code;
  }

  /** The delay the gateway asked for with {@code Retry-After}, or -1. */
  public long retryAfterMs() {
    return retryAfterMs;
  }

  /**
   * True for failures worth asking again with the same Idempotency-Key ({@link RetryReason}): no answer,
   * overload, a server error, a request in flight.
   */
  public boolean retryable() {
    return RetryReason.of(this) != null;
  }

  /** True for "the shop has no key left for this SKU". */
  public boolean outOfStock() {
    return "out_of_stock".equals(code);
  }
}
