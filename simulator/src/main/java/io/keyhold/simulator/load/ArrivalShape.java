package io.keyhold.simulator.load;

import java.util.Arrays;
import java.util.Locale;

/** How buyers arrive within the arrival window. */
public enum ArrivalShape {
  /** At an even rate. */
  FLAT("flat"),
  /** The rate grows from nothing to its peak at the end of the window (a promotion warming up). */
  RAMP("ramp"),
  /** Most buyers at the opening moment, then fewer and fewer (the doors of a flash sale open). */
  SPIKE("spike");

  private final String code;

  ArrivalShape(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  public static ArrivalShape fromCode(String code) {
    return Arrays.stream(values()).filter(shape -> shape.code.equals(code.toLowerCase(Locale.ROOT))).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "arrival must be one of flat, ramp, spike, but was '" + code + "'"));
  }
}
