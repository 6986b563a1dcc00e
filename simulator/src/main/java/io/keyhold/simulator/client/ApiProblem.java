package io.keyhold.simulator.client;

/**
 * A gateway answer that is not a success: its HTTP status and the problem's stable {@code code}
 * (RFC 9457), or {@value #NO_ANSWER} when no answer came (connection refused, timeout), with what its headers
 * asked: {@code Retry-After}, and the {@code Keyhold-Ticket} of a place in the gateway's waiting room.
 * The message never holds a token, a ticket or a card key: only the method, the path template and the problem.
 */
public final class ApiProblem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The code of a call that got no HTTP answer at all. */
  public static final String NO_ANSWER = "no_answer";
  /** The code of a call not sent because its caller had stopped (the run ended). */
  public static final String NOT_SENT = "not_sent";
  /** The code of an answer that is not a problem document (a proxy's page, an empty body). */
  public static final String UNREADABLE = "unreadable_answer";
  /** {@link #heldUnits()} of an answer that did not say. */
  public static final int NOT_SAID = -1;

  private final int status;
  private final String code;
  private final long retryAfterMs;
  private final String ticket;
  private final int heldUnits;
  private final long heldUntilMs;

  public ApiProblem(String operation, int status, String code, String detail, long retryAfterMs) {
    this(operation, status, code, detail, retryAfterMs, null);
  }

  /** An answer that also gave a place in the gateway's waiting room: its {@code ticket}, or null. */
  public ApiProblem(String operation, int status, String code, String detail, long retryAfterMs, String ticket) {
    this(operation, status, code, detail, retryAfterMs, ticket, NOT_SAID, NOT_SAID, null);
  }

  /**
   * An answer as the gateway gave it: with its place in line ({@code ticket}, or null) and, for an out-of-stock
   * answer about the gateway's consignment stock, the keys unpaid checkouts hold ({@code heldUnits}) and the first
   * of their pay deadlines ({@code heldUntilMs}, epoch milliseconds); each {@link #NOT_SAID} when the answer did not
   * say.
   */
  public ApiProblem(String operation, int status, String code, String detail, long retryAfterMs, String ticket,
      int heldUnits, long heldUntilMs) {
    this(operation, status, code, detail, retryAfterMs, ticket, heldUnits, heldUntilMs, null);
  }

  // An answer is an outcome the caller acts on, not a fault to trace: no stack trace (a flash sale answers
  // thousands of sold-outs and places in line, and filling each trace cost the simulator's loop ~1 % of its CPU).
  private ApiProblem(String operation, int status, String code, String detail, long retryAfterMs, String ticket,
      int heldUnits, long heldUntilMs, Throwable cause) {
    super(operation + " answered " + status + " " + code + (detail == null ? "" : ": " + detail), cause, false,
        false);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
    this.ticket = ticket;
    this.heldUnits = heldUnits;
    this.heldUntilMs = heldUntilMs;
  }

  /** A call that got no answer; {@code cause} is kept for the log, not for its message. */
  public static ApiProblem noAnswer(String operation, Throwable cause) {
    return new ApiProblem(operation, 0, NO_ANSWER, cause.getClass().getSimpleName()
        + (cause.getMessage() == null ? "" : " " + cause.getMessage()), -1, null, NOT_SAID, NOT_SAID, cause);
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
   * The {@code Keyhold-Ticket} the gateway gave with this answer, or null: the caller's place in line, sent
   * back when the call is asked again.
   */
  public String ticket() {
    return ticket;
  }

  /**
   * For {@code out_of_stock} of the gateway's consignment stock, the SKU's keys unpaid checkouts held ({@code
   * held_units}): above 0, keys may come back to stock; else {@link #NOT_SAID}.
   */
  public int heldUnits() {
    return heldUnits;
  }

  /** With {@link #heldUnits()} above 0, the first pay deadline of the unpaid checkouts (epoch ms); else NOT_SAID. */
  public long heldUntilMs() {
    return heldUntilMs;
  }

  /**
   * True for a 503 that gave a place in the gateway's waiting room (a {@link #ticket()}): the caller is waiting
   * its turn, not failing ({@link RetryReason#WAITING_ROOM}).
   */
  public boolean placeGiven() {
    return status == 503 && ticket != null;
  }

  /**
   * True for failures worth asking again with the same Idempotency-Key ({@link RetryReason}): no answer,
   * overload, a place in the waiting room, a server error, a request in flight.
   */
  public boolean retryable() {
    return RetryReason.of(this) != null;
  }

  /** True for "the shop has no key left for this SKU". */
  public boolean outOfStock() {
    return "out_of_stock".equals(code);
  }
}
