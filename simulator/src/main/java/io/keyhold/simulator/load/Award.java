package io.keyhold.simulator.load;

/** What the simulator's arbiter decides for a disputed order (the operator API's {@code award}). */
public enum Award {
  RELEASE("release"),
  REFUND("refund");

  private final String code;

  Award(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
