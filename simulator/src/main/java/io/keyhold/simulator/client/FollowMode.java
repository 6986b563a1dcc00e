package io.keyhold.simulator.client;

import java.util.Arrays;
import java.util.Locale;

/** How a virtual buyer follows its order: the event stream (with a slow poll beside it), or polling alone. */
public enum FollowMode {
  SSE("sse"),
  POLL("poll");

  private final String code;

  FollowMode(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  public static FollowMode fromCode(String code) {
    return Arrays.stream(values()).filter(mode -> mode.code.equals(code.toLowerCase(Locale.ROOT))).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "follow mode must be one of sse, poll, but was '" + code + "'"));
  }
}
