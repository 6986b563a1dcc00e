package io.keyhold.escrow;

/**
 * What {@link Order#on(OrderEvent, java.time.Instant)} answers: a {@link Rejection} (nothing changes)
 * or a {@link Transition} (store it atomically, then run its effects).
 */
public sealed interface Outcome permits Rejection, Transition {

  /** True for a {@link Transition}, duplicates included. */
  default boolean isAccepted() {
    return this instanceof Transition;
  }
}
