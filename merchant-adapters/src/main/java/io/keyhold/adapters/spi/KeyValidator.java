package io.keyhold.adapters.spi;

import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Future;

/**
 * Tells whether a delivered card key is good, before any buyer sees it. A validator only ever checks:
 * it never redeems, reserves or otherwise changes the key.
 *
 * <p>The {@code Future} succeeds for every well-formed call: when the validator cannot tell
 * (timeout, error, circuit open, a reply it cannot trust or read, no rule for the SKU) it answers
 * {@link KeyVerdict#UNKNOWN}, never a guess. Only a programming error (a null key, a malformed SKU
 * id) fails it. The order then asks again until its validation deadline. Implementations never
 * block the calling thread and never log the key.
 */
public interface KeyValidator {

  /** What this validator says of {@code key}, a key of {@code skuId}. */
  Future<KeyVerdict> check(String skuId, CardKey key);

  /**
   * True when the verdict comes from the key alone, at once, with no I/O (a format rule): such a check is made
   * as the key is delivered and its verdict stored with the delivery. False (the default) for a validator that
   * asks someone (an issuer's API): it is called after the delivery is stored.
   */
  default boolean local() {
    return false;
  }

  /** Releases what the validator holds (connections, metrics). */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
