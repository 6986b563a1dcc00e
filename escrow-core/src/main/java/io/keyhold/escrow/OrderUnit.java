package io.keyhold.escrow;

import java.time.Instant;
import java.util.Objects;

/**
 * One unit of an order: one card key and its verdict. Holds a reference to the stored, encrypted key
 * and its fingerprint — never the key itself. A unit whose key was found bad keeps that key's
 * reference (and state {@link UnitState#INVALID} or {@link UnitState#REDEEMED}) until the replacement
 * arrives.
 *
 * @param index position in the order, from 0
 * @param state where the unit is
 * @param keyRef the current key's reference, or null when no key arrived since the last request
 * @param fingerprint the current key's fingerprint, or null with {@code keyRef}
 * @param deliveries how many keys arrived for this unit so far
 * @param replacements how many replacements were requested for this unit so far
 * @param checks how many verdicts arrived for the current key
 * @param deliveredAt when the current key arrived, or null with {@code keyRef}
 * @param checkedAt when the last verdict for the current key arrived, or null
 * @param source where the unit is supplied from: 0 the order's merchant, {@code n} the order's n-th
 *     {@link BackupSource}; a key the unit holds came from this source
 * @param sourceSince when the unit moved to its backup source (its resupply window there starts), null at 0
 */
public record OrderUnit(
    int index, UnitState state, String keyRef, String fingerprint, int deliveries, int replacements,
    int checks, Instant deliveredAt, Instant checkedAt, int source, Instant sourceSince) {

  /** A unit supplied by the order's own merchant (its shape before backup sources existed). */
  public OrderUnit(int index, UnitState state, String keyRef, String fingerprint, int deliveries, int replacements,
      int checks, Instant deliveredAt, Instant checkedAt) {
    this(index, state, keyRef, fingerprint, deliveries, replacements, checks, deliveredAt, checkedAt, 0, null);
  }

  /** Checks that key fields come together and that the state fits them. */
  public OrderUnit {
    Check.range("index", index, 0, Order.QUANTITY_MAX - 1);
    Objects.requireNonNull(state, "state must not be null");
    Check.range("deliveries", deliveries, 0, Integer.MAX_VALUE);
    // At a backup the first request counts too: it is followed by at most maxResupplyAttempts replacements.
    Check.range("replacements", replacements, 0, SkuPolicy.MAX_RESUPPLY_ATTEMPTS_MAX + 1);
    Check.range("source", source, 0, Order.BACKUP_SOURCES_MAX);
    if ((source == 0) != (sourceSince == null)) {
      throw new IllegalArgumentException("unit " + index + " at source " + source + " has sourceSince " + sourceSince);
    }
    Check.range("checks", checks, 0, Order.CHECKS_PER_KEY_MAX);
    boolean hasKey = keyRef != null;
    if (hasKey != (fingerprint != null) || hasKey != (deliveredAt != null)) {
      throw new IllegalArgumentException("unit " + index + ": keyRef, fingerprint and deliveredAt must be set together");
    }
    if (hasKey) {
      Check.externalId("keyRef", keyRef);
      Check.fingerprint("fingerprint", fingerprint);
    }
    boolean needsKey = state == UnitState.DELIVERED || state == UnitState.VALID
        || state == UnitState.UNKNOWN || state == UnitState.RELEASED;
    if ((needsKey && !hasKey) || (state == UnitState.PENDING && hasKey)) {
      throw new IllegalArgumentException("unit " + index + " in state " + state
          + (hasKey ? " must not hold a key" : " must hold a key"));
    }
  }

  /** A unit without a key, as placed. */
  static OrderUnit pending(int index) {
    return new OrderUnit(index, UnitState.PENDING, null, null, 0, 0, 0, null, null);
  }

  /** True when the unit holds a key reference (valid or not). */
  public boolean hasKey() {
    return keyRef != null;
  }

  /** True when a replacement was requested and the new key has not arrived yet. */
  public boolean awaitsReplacement() {
    return replacements > 0 && state.lacksUsableKey();
  }

  /** True when the unit never had a key and no replacement was requested: it waits for the first delivery. */
  public boolean awaitsFirstDelivery() {
    return state == UnitState.PENDING && deliveries == 0 && replacements == 0;
  }

  OrderUnit delivered(String newKeyRef, String newFingerprint, Instant at) {
    return new OrderUnit(index, UnitState.DELIVERED, newKeyRef, newFingerprint, deliveries + 1, replacements, 0, at, null, source,
        sourceSince);
  }

  OrderUnit checked(UnitState verdictState, Instant at) {
    return new OrderUnit(index, verdictState, keyRef, fingerprint, deliveries, replacements,
        Math.min(checks + 1, Order.CHECKS_PER_KEY_MAX), deliveredAt, at, source, sourceSince);
  }

  OrderUnit inState(UnitState newState) {
    return new OrderUnit(index, newState, keyRef, fingerprint, deliveries, replacements, checks, deliveredAt, checkedAt,
        source, sourceSince);
  }

  OrderUnit replacementRequested() {
    return new OrderUnit(index, state, keyRef, fingerprint, deliveries, replacements + 1, checks, deliveredAt, checkedAt,
        source, sourceSince);
  }

  /**
   * The unit moved on to backup source {@code next} at {@code at}: that source's first request is made now
   * (counted as its first attempt), the bad key the unit may hold stays until the new one arrives.
   */
  OrderUnit switchedTo(int next, Instant at) {
    return new OrderUnit(index, state, keyRef, fingerprint, deliveries, 1, checks, deliveredAt, checkedAt, next, at);
  }
}
