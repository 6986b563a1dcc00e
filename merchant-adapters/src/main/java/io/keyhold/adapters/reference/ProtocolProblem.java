package io.keyhold.adapters.reference;

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
}
