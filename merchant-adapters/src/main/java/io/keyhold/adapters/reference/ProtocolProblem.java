package io.keyhold.adapters.reference;

import io.keyhold.adapters.http.MerchantProtocol;
import io.vertx.core.json.JsonObject;

/** A refusal the reference merchant answers as a signed problem document (PROTOCOL.md, section 7). */
final class ProtocolProblem extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;

  ProtocolProblem(int status, String code, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
  }

  static ProtocolProblem badRequest(String detail) {
    return new ProtocolProblem(400, "bad_request", detail);
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  /** The problem document (RFC 9457) the merchant protocol and the admin endpoints answer with. */
  static JsonObject document(int status, String code, String detail, String requestId) {
    return new JsonObject()
        .put("type", MerchantProtocol.PROBLEM_TYPE_PREFIX + code)
        .put("title", code.replace('_', ' '))
        .put("status", status)
        .put("code", code)
        .put("detail", detail)
        .put("request_id", requestId);
  }
}
