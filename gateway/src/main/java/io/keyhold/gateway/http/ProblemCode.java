package io.keyhold.gateway.http;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every error the HTTP API answers, with its stable wire {@link #code()}, HTTP status and title.
 * Clients branch on the code; titles may be reworded, codes never change. A new failure gets a new
 * constant here.
 */
public enum ProblemCode {
  MALFORMED_JSON("malformed_json", 400, "The body is not well-formed JSON"),
  VALIDATION_FAILED("validation_failed", 400, "The request does not match the API; see errors"),
  IDEMPOTENCY_KEY_INVALID("idempotency_key_invalid", 400, "The Idempotency-Key header is malformed"),
  UNAUTHENTICATED("unauthenticated", 401, "Missing or unknown bearer token"),
  NOT_FOUND("not_found", 404, "No such resource"),
  METHOD_NOT_ALLOWED("method_not_allowed", 405, "The resource does not support this method"),
  DUPLICATE_KEY("duplicate_key", 409, "A card key in the request is already held by Keyhold"),
  IDEMPOTENCY_REQUEST_IN_PROGRESS(
      "idempotency_request_in_progress", 409, "A request with this Idempotency-Key is still running; retry"),
  BODY_TOO_LARGE("body_too_large", 413, "The body is larger than the limit"),
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415, "The body must be application/json"),
  IDEMPOTENCY_KEY_REUSED(
      "idempotency_key_reused", 422, "This Idempotency-Key was used with another request body"),
  INTERNAL_ERROR("internal_error", 500, "Internal error"),
  NOT_READY("not_ready", 503, "The gateway cannot reach its database"),
  OVERLOADED("overloaded", 503, "The gateway is overloaded; retry after the given delay"),
  TIMEOUT("timeout", 503, "The request took longer than the limit");

  private static final Map<String, ProblemCode> BY_CODE =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(ProblemCode::code, Function.identity()));

  private final String code;
  private final int status;
  private final String title;

  ProblemCode(String code, int status, String title) {
    this.code = code;
    this.status = status;
    this.title = title;
  }

  /** The stable code sent as the problem's {@code code} member. */
  public String code() {
    return code;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  /** The problem's {@code type} URI. */
  public String type() {
    return "urn:keyhold:problem:" + code;
  }

  public static ProblemCode fromCode(String code) {
    ProblemCode problemCode = BY_CODE.get(code);
    if (problemCode == null) {
      throw new IllegalArgumentException("unknown problem code: " + code);
    }
    return problemCode;
  }
}
