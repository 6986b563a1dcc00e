package io.keyhold.escrow;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A buyer's dispute and, once decided, the arbiter's awards.
 *
 * @param reason what the buyer says is wrong
 * @param text the buyer's words
 * @param openedAt when it was opened
 * @param awards unit index to award; empty until decided
 * @param decidedAt when the arbiter decided, or null while open
 */
public record Dispute(DisputeReason reason, String text, Instant openedAt, Map<Integer, Award> awards, Instant decidedAt) {

  /** Checks the fields and that awards and decision time come together. */
  public Dispute {
    Objects.requireNonNull(reason, "reason must not be null");
    Objects.requireNonNull(text, "text must not be null");
    Objects.requireNonNull(openedAt, "openedAt must not be null");
    awards = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(awards, "awards must not be null")));
    if (awards.isEmpty() != (decidedAt == null)) {
      throw new IllegalArgumentException("awards and decidedAt must be set together, but awards were "
          + awards + " and decidedAt " + decidedAt);
    }
  }

  /** A dispute just opened. */
  static Dispute open(DisputeReason reason, String text, Instant openedAt) {
    return new Dispute(reason, text, openedAt, Map.of(), null);
  }

  /** True once the arbiter decided. */
  public boolean isDecided() {
    return decidedAt != null;
  }

  Dispute decided(Map<Integer, Award> awards, Instant at) {
    return new Dispute(reason, text, openedAt, awards, at);
  }
}
