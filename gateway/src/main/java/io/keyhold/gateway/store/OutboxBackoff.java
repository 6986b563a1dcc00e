package io.keyhold.gateway.store;

import java.time.Duration;

/**
 * Pauses of the outbox: exponential backoff after a failed attempt, and the pause before a key is
 * checked again after an UNKNOWN verdict. Both are capped.
 */
public final class OutboxBackoff {
  /** The pause after a first failure. */
  public static final Duration BASE = Duration.ofMillis(200);
  /** The longest pause between two attempts. */
  public static final Duration MAX = Duration.ofMinutes(5);
  /** The pause before the second check of a key; doubled for each further check. */
  public static final Duration RECHECK_BASE = Duration.ofSeconds(2);
  /** The longest pause between two checks of one key. */
  public static final Duration RECHECK_MAX = Duration.ofMinutes(2);

  private OutboxBackoff() {}

  /** The pause after {@code attempts} failed attempts (1 or more): {@code base * 2^(attempts-1)}, capped. */
  public static Duration afterFailure(Duration base, Duration max, int attempts) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, but was " + attempts);
    }
    int shift = Math.min(attempts - 1, 30);
    long millis = base.toMillis() << shift;
    return millis <= 0 || millis > max.toMillis() ? max : Duration.ofMillis(millis);
  }

  /** The pause before check number {@code attempt} (2 or more) of one key. */
  public static Duration recheckDelay(int attempt) {
    return afterFailure(RECHECK_BASE, RECHECK_MAX, Math.max(1, attempt - 1));
  }
}
