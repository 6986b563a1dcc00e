package io.keyhold.gateway.api;

import io.keyhold.escrow.RejectionCode;
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
  TIMEOUT("timeout", 503, "The request took longer than the limit"),
  TOO_MANY_STREAMS("too_many_streams", 429, "Too many live update streams are open; retry later or poll"),
  // An order refused an event: one code per escrow-core RejectionCode, same text (see forRejection).
  STATE_DOES_NOT_ALLOW("state_does_not_allow", 409, "The order's state does not allow this"),
  NOT_DUE("not_due", 409, "No deadline of the order is due yet"),
  CLOCK_BEHIND("clock_behind", 409, "The order changed at a later time than now; retry"),
  PAYMENT_EXISTS_WITH_DIFFERENT_AMOUNT(
      "payment_exists_with_different_amount", 409, "This payment id is known with another amount"),
  TOO_MANY_PAYMENTS("too_many_payments", 409, "The order recorded the most payments it may; an operator must look"),
  NOT_FUNDED("not_funded", 409, "The order was never paid"),
  UNKNOWN_UNIT("unknown_unit", 422, "The unit index is outside the order"),
  UNIT_HOLDS_OTHER_KEY("unit_holds_other_key", 409, "The unit holds another key and awaits no replacement"),
  KEYS_NOT_READY("keys_not_ready", 409, "The keys are not all checked valid yet"),
  NOT_REVEALED("not_revealed", 409, "The keys were not revealed yet"),
  ALREADY_REVEALED("already_revealed", 409, "The keys were revealed already"),
  INSPECTION_WINDOW_CLOSED("inspection_window_closed", 409, "The inspection window is closed"),
  DISPUTE_ALREADY_OPEN("dispute_already_open", 409, "The order already has a dispute"),
  AWARDS_DO_NOT_MATCH_UNITS("awards_do_not_match_units", 422, "The awards must name every unit of the order once"),
  // The order engine (checkout, payments).
  OUT_OF_STOCK("out_of_stock", 409, "Not enough stock is free for this quantity; nothing was reserved"),
  BAD_SIGNATURE("bad_signature", 401, "The message signature is missing, stale or wrong"),
  MERCHANT_UNAVAILABLE("merchant_unavailable", 503, "The merchant's shop could not be reached; retry later"),
  // Requests the HTTP server refuses before any route reads them.
  URI_TOO_LONG("uri_too_long", 414, "The request line is longer than the limit"),
  HEADERS_TOO_LARGE("headers_too_large", 431, "The request headers are larger than the limit"),
  MALFORMED_REQUEST("malformed_request", 400, "The request is not well-formed HTTP"),
  // The order engine again: a shop whose signatures do not match is misconfigured, not slow.
  MERCHANT_BAD_SIGNATURE("merchant_bad_signature", 502, "The merchant's shop and Keyhold do not share a signing secret"),
  // The database cannot be reached or is restarting: the request may succeed after Retry-After (DatabaseOutage).
  DATABASE_UNAVAILABLE("database_unavailable", 503, "The database cannot be reached or is restarting; retry after the given delay"),
  // Merchants' deposits (issue 14).
  MERCHANT_DEPOSIT_LOW("merchant_deposit_low", 409, "The merchant's deposit is below its floor; it takes no new checkouts"),
  DEPOSIT_BELOW_FLOOR("deposit_below_floor", 409, "The withdrawal would leave the deposit below its floor"),
  DEPOSIT_CURRENCY_MISMATCH("deposit_currency_mismatch", 409, "The deposit is held in another currency"),
  // Backup sources (issue 14).
  BACKUP_SOURCE_UNFIT("backup_source_unfit", 409,
      "A backup source must be another SKU in the same currency at a price no higher"),
  // Console sessions (issue 17): a change made with a session cookie must carry the session's CSRF token.
  CSRF_TOKEN_INVALID("csrf_token_invalid", 403,
      "A change made with a console session needs the session's X-Keyhold-CSRF header"),
  SIGN_IN_THROTTLED("sign_in_throttled", 429, "Too many failed sign-ins from this address; retry later");

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

  /** The problem answering an order's {@link RejectionCode}: the same code text. */
  public static ProblemCode forRejection(RejectionCode rejection) {
    return fromCode(rejection.code());
  }

  public static ProblemCode fromCode(String code) {
    ProblemCode problemCode = BY_CODE.get(code);
    if (problemCode == null) {
      throw new IllegalArgumentException("unknown problem code: " + code);
    }
    return problemCode;
  }
}
