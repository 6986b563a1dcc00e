package io.keyhold.gateway.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * Bounded in-memory caches of what the database holds and hardly ever changes (a merchant's API key, a SKU's
 * terms, a webhook URL), each value reused for at most {@link #REUSE_MAX} before it is read again. One reuse time
 * for all of them, so what docs/operations.md promises holds for each: a change made directly in the database
 * reaches every gateway instance within it.
 */
public final class ShortLivedCache {
  /** How long a value read from the database is reused before it is read again. */
  public static final Duration REUSE_MAX = Duration.ofSeconds(5);

  private ShortLivedCache() {}

  /** A cache of at most {@code entriesMax} values, each kept {@link #REUSE_MAX} after it was read. */
  public static <K, V> Cache<K, V> of(int entriesMax) {
    return Caffeine.newBuilder().maximumSize(entriesMax).expireAfterWrite(REUSE_MAX).build();
  }
}
