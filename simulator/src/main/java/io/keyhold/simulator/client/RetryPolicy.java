package io.keyhold.simulator.client;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a call is asked again, as a well-behaved client of the gateway would: at most
 * {@code attemptsMax} sends in all, exponential backoff from {@code backoffBaseMs} doubling up to
 * {@code backoffMsMax} (plus as much again at most as jitter), or what {@code Retry-After} asks (up to
 * {@link #RETRY_AFTER_MS_MAX}, plus a fifth at most), and no retry that would start more than
 * {@code retryingMsMax} after the first send. Which failures are asked again is {@link RetryReason}'s.
 *
 * <p>A call given a place in the gateway's waiting room ({@link RetryReason#WAITING_ROOM}) is a caller waiting
 * its turn, not a failing call: its sends while it holds the place count neither against {@code attemptsMax}
 * nor, for the time it holds the place, against {@code retryingMsMax}; it waits its turn for no longer than
 * {@code placeWaitMsMax} after the first send.
 */
public record RetryPolicy(int attemptsMax, long backoffBaseMs, long backoffMsMax, long retryingMsMax,
    long placeWaitMsMax) {
  /**
   * Sends of one call at most. With the backoff below, seven retries span 10 to 20 s: enough for a gateway
   * killed and started again (a couple of seconds down, a few more to be ready) or a database restart.
   */
  public static final int ATTEMPTS_MAX = 8;
  public static final long BACKOFF_BASE_MS = 100;
  public static final long BACKOFF_MS_MAX = 4_000;
  /**
   * No retry starts later than this after the call was first sent: a caller waits for a gateway that comes
   * back, not for one that is gone.
   */
  public static final long RETRYING_MS_MAX = 45_000;
  /**
   * The longest {@code Retry-After} honoured as asked (the gateway promises at most 30 s); a longer one
   * is cut to this.
   */
  public static final long RETRY_AFTER_MS_MAX = 30_000;
  /** The bound on any one policy's attempts, so a mistyped policy cannot hammer a gateway. */
  public static final int ATTEMPTS_MAX_MAX = 50;
  /**
   * No call waits its turn in the gateway's waiting room longer than this after it was first sent: a buyer
   * told to come back gives up after two minutes in line, as a real one would.
   */
  public static final long PLACE_WAIT_MS_MAX = 120_000;
  /**
   * The least wait before a place in line is asked again when {@code Retry-After} says less or nothing (the
   * gateway promises 1 to 30 s): a crowd holding places must not poll the gateway in a tight loop.
   */
  public static final long PLACE_RETRY_AFTER_MS_MIN = 1_000;

  /** The simulator's policy. */
  public static final RetryPolicy STANDARD =
      new RetryPolicy(ATTEMPTS_MAX, BACKOFF_BASE_MS, BACKOFF_MS_MAX, RETRYING_MS_MAX, PLACE_WAIT_MS_MAX);

  public RetryPolicy {
    if (attemptsMax < 1 || attemptsMax > ATTEMPTS_MAX_MAX) {
      throw new IllegalArgumentException("attempts max must be between 1 and " + ATTEMPTS_MAX_MAX + ", but was "
          + attemptsMax);
    }
    if (backoffBaseMs < 1 || backoffMsMax < backoffBaseMs || retryingMsMax < 0) {
      throw new IllegalArgumentException("backoff must be 1 <= base <= max and retrying ms max >= 0, but was "
          + backoffBaseMs + ", " + backoffMsMax + ", " + retryingMsMax);
    }
    if (placeWaitMsMax < 0) {
      throw new IllegalArgumentException("place wait ms max must be >= 0, but was " + placeWaitMsMax);
    }
  }

  /** A policy whose calls wait their turn in the gateway's waiting room for {@link #PLACE_WAIT_MS_MAX} at most. */
  public RetryPolicy(int attemptsMax, long backoffBaseMs, long backoffMsMax, long retryingMsMax) {
    this(attemptsMax, backoffBaseMs, backoffMsMax, retryingMsMax, PLACE_WAIT_MS_MAX);
  }

  /**
   * The wait before send number {@code attempt + 1}, {@code attempt} sends having failed: what the
   * gateway asked ({@code retryAfterMs} > 0) or else the backoff; jittered, since a crowd told the same delay
   * must not come back in the same millisecond. Timing only, so not drawn from the run's seed.
   */
  long delayMs(int attempt, long retryAfterMs) {
    if (retryAfterMs > 0) {
      long asked = Math.min(RETRY_AFTER_MS_MAX, retryAfterMs);
      return asked + ThreadLocalRandom.current().nextLong(asked / 5 + 1);
    }
    int doublings = Math.min(30, Math.max(0, attempt - 1));
    long backoff = Math.min(backoffMsMax, backoffBaseMs << doublings);
    return backoff + ThreadLocalRandom.current().nextLong(backoff + 1);
  }
}
