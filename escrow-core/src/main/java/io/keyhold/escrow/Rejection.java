package io.keyhold.escrow;

import java.util.Objects;

/**
 * The order refused the event and is unchanged. Safe to show: the detail names states, units,
 * amounts and ids, never a key.
 *
 * @param code the stable reason
 * @param detail one sentence for people
 */
public record Rejection(RejectionCode code, String detail) implements Outcome {

  /** Checks both are present. */
  public Rejection {
    Objects.requireNonNull(code, "code must not be null");
    Objects.requireNonNull(detail, "detail must not be null");
  }
}
