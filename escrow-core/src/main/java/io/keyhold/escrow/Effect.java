package io.keyhold.escrow;

import java.util.List;
import java.util.Objects;

/**
 * Work the gateway must carry out after it stored a {@link Transition}: ask the merchant, ask a
 * validator, move real money, notify. The gateway writes effects to its outbox in the same database
 * transaction as the order and runs them afterwards, retrying failures.
 *
 * <p>Each effect has a deterministic {@link #idempotencyKey()}
 * ({@code <orderId>/<order version>/<index in the transition>/<kind code>}): the same transition always
 * yields the same keys, so a retried or replayed effect can be recognised downstream and never pays twice.
 */
public sealed interface Effect {

  /** Unique per effect and stable across retries; use it as the idempotency key of the remote call. */
  String idempotencyKey();

  /** The order the effect is for. */
  String orderId();

  /** What kind of work this is. */
  EffectKind kind();

  /** The key for the {@code index}-th effect of the transition that gave the order {@code version}. */
  static String idempotencyKey(String orderId, long version, int index, EffectKind kind) {
    return orderId + "/" + version + "/" + index + "/" + kind.code();
  }

  /**
   * Ask the merchant to provide keys for these units (after funding).
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param units unit indices
   */
  record RequestDelivery(String idempotencyKey, String orderId, List<Integer> units) implements Effect {
    /** Copies the list. */
    public RequestDelivery {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      units = List.copyOf(units);
    }

    @Override
    public EffectKind kind() {
      return EffectKind.REQUEST_DELIVERY;
    }
  }

  /**
   * Ask the merchant to replace one unit's key.
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param unit the unit index
   * @param reason why
   * @param attempt the unit's replacement number, from 1
   */
  record RequestReplacement(String idempotencyKey, String orderId, int unit, ReplacementReason reason, int attempt)
      implements Effect {
    /** Checks the reason. */
    public RequestReplacement {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      Objects.requireNonNull(reason, "reason must not be null");
    }

    @Override
    public EffectKind kind() {
      return EffectKind.REQUEST_REPLACEMENT;
    }
  }

  /**
   * Ask a backup source for one unit's key: the first request to that source ({@code attempt} 1) asks it to
   * deliver the unit, as a first delivery; a later one asks it to replace the key it delivered
   * ({@code attempt - 1}-th replacement at that source). Keys arriving from it are checked against every key
   * delivered anywhere, as every delivery is.
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param unit the unit index
   * @param source the source's position among the order's backups, from 1
   * @param merchantId the source's merchant
   * @param skuId the source's SKU
   * @param reason why the unit needs a key
   * @param attempt the request number at this source, from 1
   */
  record RequestFromBackup(String idempotencyKey, String orderId, int unit, int source, String merchantId,
      String skuId, ReplacementReason reason, int attempt) implements Effect {
    /** Checks the values. */
    public RequestFromBackup {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      Check.range("source", source, 1, Order.BACKUP_SOURCES_MAX);
      Check.id("merchantId", merchantId);
      Check.id("skuId", skuId);
      Objects.requireNonNull(reason, "reason must not be null");
      Check.range("attempt", attempt, 1, SkuPolicy.MAX_RESUPPLY_ATTEMPTS_MAX + 1);
    }

    @Override
    public EffectKind kind() {
      return EffectKind.REQUEST_FROM_BACKUP;
    }
  }

  /**
   * Check a unit's key with the SKU's validators (check-only calls that never redeem) and answer with
   * {@link OrderEvent.UnitChecked}. For {@code attempt > 1} the previous answer was
   * {@link KeyVerdict#UNKNOWN}: the outbox should back off before asking again.
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param unit the unit index
   * @param keyRef the key to check
   * @param attempt the check number for this key, from 1
   */
  record ValidateUnit(String idempotencyKey, String orderId, int unit, String keyRef, int attempt) implements Effect {
    /** Checks the key reference. */
    public ValidateUnit {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      Objects.requireNonNull(keyRef, "keyRef must not be null");
    }

    @Override
    public EffectKind kind() {
      return EffectKind.VALIDATE_UNIT;
    }
  }

  /**
   * Return money to the payer of one payment through its provider. The ledger postings already moved
   * it to {@code refunds:out}.
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param paymentId the payment to refund
   * @param amount how much (all of the payment, or the refunded units' share of the funding payment)
   * @param reason why
   */
  record RefundPayment(String idempotencyKey, String orderId, String paymentId, Money amount, RefundReason reason)
      implements Effect {
    /** Checks the amount is positive. */
    public RefundPayment {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      Objects.requireNonNull(paymentId, "paymentId must not be null");
      Objects.requireNonNull(reason, "reason must not be null");
      if (!amount.isPositive()) {
        throw new IllegalArgumentException("amount must be greater than 0, but was " + amount);
      }
    }

    @Override
    public EffectKind kind() {
      return EffectKind.REFUND_PAYMENT;
    }
  }

  /**
   * Money was released to a merchant (postings already made to {@code merchant:<id>:payable} and
   * {@code platform:fees}); the gateway tells the merchant and schedules the payout.
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param merchantId the merchant paid
   * @param units the released unit indices
   * @param gross the released units' price
   * @param fee the platform's fee ({@code gross} times the fee basis points, rounded down)
   * @param net what the merchant gets: {@code gross - fee}
   * @param reason why
   */
  record ReleaseFunds(String idempotencyKey, String orderId, String merchantId, List<Integer> units,
      Money gross, Money fee, Money net, ReleaseReason reason) implements Effect {
    /** Checks {@code net = gross - fee}. */
    public ReleaseFunds {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      Objects.requireNonNull(reason, "reason must not be null");
      units = List.copyOf(units);
      if (!gross.minus(fee).equals(net)) {
        throw new IllegalArgumentException("net must be gross - fee, but was " + net + " for " + gross + " - " + fee);
      }
    }

    @Override
    public EffectKind kind() {
      return EffectKind.RELEASE_FUNDS;
    }
  }

  /**
   * Give unseen keys back to the shop's stock (after a cancel, or keys still unchecked when the order
   * gave up on them).
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param keyRefs the keys to return
   */
  record ReturnKeysToShop(String idempotencyKey, String orderId, List<String> keyRefs) implements Effect {
    /** Copies the list. */
    public ReturnKeysToShop {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      keyRefs = List.copyOf(keyRefs);
    }

    @Override
    public EffectKind kind() {
      return EffectKind.RETURN_KEYS_TO_SHOP;
    }
  }

  /**
   * The order closed (expired, released or refunded): free whatever stock reservation is left for it.
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   */
  record ReleaseReservation(String idempotencyKey, String orderId) implements Effect {
    /** Checks the key. */
    public ReleaseReservation {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
    }

    @Override
    public EffectKind kind() {
      return EffectKind.RELEASE_RESERVATION;
    }
  }

  /**
   * Pay the buyer compensation from the merchant's deposit, through the provider of the payment that funded the
   * order, to the same payer. The ledger postings already moved it from {@code merchant:<id>:deposit} to
   * {@code compensations:out}. It is not a refund: it may exceed what is left of the payment to refund.
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param paymentId the payment whose payer is compensated
   * @param amount how much (positive)
   */
  record PayCompensation(String idempotencyKey, String orderId, String paymentId, Money amount) implements Effect {
    /** Checks the amount is positive. */
    public PayCompensation {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      Objects.requireNonNull(paymentId, "paymentId must not be null");
      if (!amount.isPositive()) {
        throw new IllegalArgumentException("amount must be greater than 0, but was " + amount);
      }
    }

    @Override
    public EffectKind kind() {
      return EffectKind.PAY_COMPENSATION;
    }
  }

  /**
   * Tell merchant (signed webhook) and buyer (live update) that something happened.
   *
   * @param idempotencyKey see {@link Effect#idempotencyKey()}
   * @param orderId the order
   * @param type what happened; its code is the webhook's event type
   */
  record Notify(String idempotencyKey, String orderId, EvidenceType type) implements Effect {
    /** Checks the type. */
    public Notify {
      Objects.requireNonNull(idempotencyKey, "idempotencyKey must not be null");
      Objects.requireNonNull(type, "type must not be null");
    }

    @Override
    public EffectKind kind() {
      return EffectKind.NOTIFY;
    }
  }
}
