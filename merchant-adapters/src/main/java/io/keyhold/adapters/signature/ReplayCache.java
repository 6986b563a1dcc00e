package io.keyhold.adapters.signature;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The signatures a receiver has accepted, remembered until they would be stale anyway, so that a
 * captured message cannot be played again inside the replay window. Bounded: when it holds
 * {@code capacity} unexpired signatures it refuses new ones ({@link SignatureCheck#REPLAY_CACHE_FULL})
 * rather than forgetting one that could then be replayed.
 *
 * <p>Thread-safe; the critical section is a map lookup and insert. Expired entries are dropped from
 * the oldest end as new ones arrive.
 */
public final class ReplayCache {

  /** Default number of signatures remembered: about 330 messages a second over a 300 s window. */
  public static final int DEFAULT_CAPACITY = 100_000;

  private final int capacity;
  /** Accepted signature to the epoch second after which it is stale; in order of arrival. */
  private final LinkedHashMap<String, Long> expiresAtBySignature = new LinkedHashMap<>();

  /** A cache remembering at most {@code capacity} signatures. */
  public ReplayCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, but was " + capacity);
    }
    this.capacity = capacity;
  }

  /** A cache of {@value #DEFAULT_CAPACITY} signatures. */
  public static ReplayCache withDefaultCapacity() {
    return new ReplayCache(DEFAULT_CAPACITY);
  }

  /**
   * Records {@code signature}, stale after {@code expiresAtEpochSecond}, unless it was recorded
   * before or the cache is full.
   *
   * @return {@link SignatureCheck#VALID} when recorded now, {@link SignatureCheck#REPLAYED} when seen
   *     before, {@link SignatureCheck#REPLAY_CACHE_FULL} when there is no room
   */
  public synchronized SignatureCheck record(String signature, long expiresAtEpochSecond, long nowEpochSecond) {
    dropExpired(nowEpochSecond);
    Long knownExpiry = expiresAtBySignature.get(signature);
    if (knownExpiry != null && knownExpiry >= nowEpochSecond) {
      return SignatureCheck.REPLAYED;
    }
    if (expiresAtBySignature.size() >= capacity) {
      return SignatureCheck.REPLAY_CACHE_FULL;
    }
    expiresAtBySignature.put(signature, expiresAtEpochSecond);
    return SignatureCheck.VALID;
  }

  /** Number of signatures remembered now. */
  public synchronized int size() {
    return expiresAtBySignature.size();
  }

  private void dropExpired(long nowEpochSecond) {
    Iterator<Map.Entry<String, Long>> oldestFirst = expiresAtBySignature.entrySet().iterator();
    while (oldestFirst.hasNext() && oldestFirst.next().getValue() < nowEpochSecond) {
      oldestFirst.remove();
    }
  }
}
