package io.keyhold.simulator.client;

import java.net.ConnectException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * Why a call is asked again; the report counts retries by {@link #code()}. A GET is asked again for
 * each of these; a POST only when it carries an {@code Idempotency-Key}, which makes the retry the same
 * request (the gateway stores the answer with the work, and releases the key on a 5xx). A POST without
 * one is never asked again: the first send may have done the work.
 */
public enum RetryReason {
  /** Nothing listening (a gateway killed, not yet started again): nothing was sent. */
  CONNECTION_REFUSED("connection_refused"),
  /** No connection within the connect timeout, or no pooled connection in time: nothing was sent. */
  CONNECT_TIMEOUT("connect_timeout"),
  /** The connection was closed or reset before the answer (a gateway killed mid-call). */
  CONNECTION_RESET("connection_reset"),
  /** Sent, and the gateway stayed silent past the idle timeout. */
  RESPONSE_TIMEOUT("response_timeout"),
  /** No answer for another reason (an I/O error). */
  NO_ANSWER("no_answer"),
  /** 503: overloaded, or a dependency (the database) unavailable; {@code Retry-After} honoured. */
  UNAVAILABLE_503("status_503"),
  /**
   * 503 with a {@code Keyhold-Ticket}: a place in the gateway's waiting room. Asked again, with the ticket, when
   * {@code Retry-After} says its turn is expected; a wait, not a failure ({@link RetryPolicy#placeWaitMsMax()}).
   */
  WAITING_ROOM("waiting_room"),
  /** 500: a server error; the request's work was rolled back with it. */
  SERVER_ERROR_500("status_500"),
  TOO_MANY_REQUESTS_429("status_429"),
  BAD_GATEWAY_502("status_502"),
  GATEWAY_TIMEOUT_504("status_504"),
  /** 409 {@code idempotency_request_in_progress}: the same key is still running; ask again later. */
  IN_PROGRESS("idempotency_request_in_progress");

  private final String code;

  RetryReason(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  /** Why {@code problem} is worth asking again, or null when it is an answer to keep. */
  public static RetryReason of(ApiProblem problem) {
    if (ApiProblem.NOT_SENT.equals(problem.code())) {
      return null;
    }
    if ("idempotency_request_in_progress".equals(problem.code())) {
      return IN_PROGRESS;
    }
    if (problem.placeGiven()) {
      return WAITING_ROOM;
    }
    return switch (problem.status()) {
      case 0 -> noAnswer(problem.getCause());
      case 500 -> SERVER_ERROR_500;
      case 502 -> BAD_GATEWAY_502;
      case 503 -> UNAVAILABLE_503;
      case 504 -> GATEWAY_TIMEOUT_504;
      case 429 -> TOO_MANY_REQUESTS_429;
      default -> null;
    };
  }

  /** The kind of a call that got no answer, from the cause Vert.x and Netty give. */
  static RetryReason noAnswer(Throwable cause) {
    if (cause == null) {
      return NO_ANSWER;
    }
    // Netty's ConnectTimeoutException is a ConnectException: the name tells it from a refusal.
    if (cause instanceof ConnectException) {
      return cause.getClass().getSimpleName().contains("Timeout") ? CONNECT_TIMEOUT : CONNECTION_REFUSED;
    }
    String message = cause.getMessage() == null ? "" : cause.getMessage().toLowerCase(Locale.ROOT);
    if (cause instanceof TimeoutException) {
      // Vert.x says which of its two timeouts fired only in the message: the wait for a connection, or
      // the idle timeout of a sent request.
      return message.contains("getting a connection") ? CONNECT_TIMEOUT : RESPONSE_TIMEOUT;
    }
    String type = cause.getClass().getSimpleName();
    if (type.equals("HttpClosedException") || type.equals("ClosedChannelException") || message.contains("reset")
        || message.contains("closed")) {
      return CONNECTION_RESET;
    }
    return NO_ANSWER;
  }
}
