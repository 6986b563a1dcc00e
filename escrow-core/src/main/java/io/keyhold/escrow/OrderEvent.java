package io.keyhold.escrow;

import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Currency;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Something that happened to an order, given to {@link Order#on(OrderEvent, java.time.Instant)}.
 * Constructors reject malformed values (the gateway validates wire input first); whether the event
 * makes sense for the order is the order's decision ({@link Rejection}).
 */
public sealed interface OrderEvent {

  /** The longest dispute text. */
  int DISPUTE_TEXT_LENGTH_MAX = 2000;
  /** The longest key reference. */
  int KEY_REF_LENGTH_MAX = 128;

  /**
   * A payment provider says a payment for this order arrived. Every notice is answered; only the
   * first notice of a payment moves money, and only a payment of the exact total funds the order.
   *
   * @param paymentId the provider's transaction id (unique per payment)
   * @param amount what was paid
   * @param stockStillReservable whether the gateway could reserve stock again; consulted only for a late
   *     payment (see {@link Order#wouldFulfilLatePayment(Money, Instant)})
   * @param paidAt when the provider says the buyer paid, or null when it does not say (then: when the notice
   *     is applied). The payment deadline judges this time, not when the gateway got round to the notice.
   */
  record PaymentReceived(String paymentId, Money amount, boolean stockStillReservable, Instant paidAt)
      implements OrderEvent {
    /** Checks the id and that the amount is positive. */
    public PaymentReceived {
      Check.externalId("paymentId", paymentId);
      Objects.requireNonNull(amount, "amount must not be null");
      if (!amount.isPositive()) {
        throw new IllegalArgumentException("amount must be greater than 0, but was " + amount);
      }
    }

    /** A payment whose provider does not say when it was paid. */
    public PaymentReceived(String paymentId, Money amount, boolean stockStillReservable) {
      this(paymentId, amount, stockStillReservable, null);
    }

    /** When the buyer paid, as far as the order can judge: the provider's word, never later than {@code now}. */
    public Instant paidAt(Instant now) {
      return paidAt == null || paidAt.isAfter(now) ? now : paidAt;
    }
  }

  /**
   * The merchant (or the stock vault) supplied keys for some units. Exact repeats are recognised.
   *
   * @param keys one entry per unit, each unit at most once
   */
  record KeysDelivered(List<DeliveredKey> keys) implements OrderEvent {
    /** Checks the list is not empty, within {@link Order#QUANTITY_MAX}, and names each unit once. */
    public KeysDelivered {
      keys = List.copyOf(Objects.requireNonNull(keys, "keys must not be null"));
      Check.range("number of keys", keys.size(), 1, Order.QUANTITY_MAX);
      Set<Integer> seen = new HashSet<>();
      for (DeliveredKey key : keys) {
        if (!seen.add(key.unit())) {
          throw new IllegalArgumentException("unit " + key.unit() + " appears twice in one delivery");
        }
      }
    }

    /** One key for one unit. */
    public static KeysDelivered of(int unit, String keyRef, String fingerprint) {
      return new KeysDelivered(List.of(new DeliveredKey(unit, keyRef, fingerprint)));
    }
  }

  /**
   * A key delivered for one unit.
   *
   * @param unit the unit index, from 0
   * @param keyRef opaque id of the stored, encrypted key — never the key itself
   * @param fingerprint keyed fingerprint of the normalized key (HMAC-SHA256, 64 lower-case hex)
   */
  record DeliveredKey(int unit, String keyRef, String fingerprint) {
    /** Checks the index, the reference and the fingerprint's shape. */
    public DeliveredKey {
      Check.range("unit", unit, 0, Order.QUANTITY_MAX - 1);
      checkKeyRef(keyRef);
      Check.fingerprint("fingerprint", fingerprint);
    }
  }

  /**
   * A validator answered for a unit's key. A verdict for a key that is no longer the unit's current
   * key, or for a key that already has a definite verdict, is stale and ignored (a duplicate).
   *
   * @param unit the unit index
   * @param keyRef the key the verdict is about
   * @param verdict the answer
   */
  record UnitChecked(int unit, String keyRef, KeyVerdict verdict) implements OrderEvent {
    /** Checks the index and the reference. */
    public UnitChecked {
      Check.range("unit", unit, 0, Order.QUANTITY_MAX - 1);
      checkKeyRef(keyRef);
      Objects.requireNonNull(verdict, "verdict must not be null");
    }
  }

  /**
   * The gateway's global fingerprint index found the unit's key delivered elsewhere before: the key
   * counts as invalid. The gateway sends this in the same flow as the delivery.
   *
   * @param unit the unit index
   * @param keyRef the key found duplicated
   */
  record DuplicateKeyFound(int unit, String keyRef) implements OrderEvent {
    /** Checks the index and the reference. */
    public DuplicateKeyFound {
      Check.range("unit", unit, 0, Order.QUANTITY_MAX - 1);
      checkKeyRef(keyRef);
    }
  }

  /**
   * The sweeper says {@link Order#nextActionAt()} has come; the order works out which deadlines fired.
   *
   * @param depositAvailable what the merchant's deposit can pay now (the gateway holds it locked while the
   *     transition is stored), or null when it has none; an amount in another currency than the order's pays
   *     nothing. A deadline that finds the merchant late pays the policy's {@link Compensation} from it, never
   *     more than it holds.
   */
  record DeadlineReached(Money depositAvailable) implements OrderEvent {
    /** Checks the amount is not negative. */
    public DeadlineReached {
      if (depositAvailable != null && depositAvailable.isNegative()) {
        throw new IllegalArgumentException("depositAvailable must not be negative, but was " + depositAvailable);
      }
    }

    /** A deadline for a merchant without a deposit to draw on. */
    public DeadlineReached() {
      this(null);
    }

    /** What the deposit can pay towards an order priced in {@code currency}: zero when none or another currency. */
    public Money availableIn(Currency currency) {
      return depositAvailable != null && depositAvailable.currency().equals(currency)
          ? depositAvailable : Money.zero(currency);
    }
  }

  /** The buyer unseals the keys; the inspection window starts. */
  record Reveal() implements OrderEvent {}

  /** The buyer confirms the keys work; the money is released. */
  record Confirm() implements OrderEvent {}

  /** The buyer cancels before the reveal: full refund, keys go back to the shop unseen. */
  record Cancel() implements OrderEvent {}

  /**
   * The buyer disputes within the inspection window.
   *
   * @param reason what is wrong
   * @param text the buyer's words (kept in the order; the evidence holds their SHA-256 and length)
   */
  record DisputeOpened(DisputeReason reason, String text) implements OrderEvent {
    /** Checks the reason and the text's length. */
    public DisputeOpened {
      Objects.requireNonNull(reason, "reason must not be null");
      Objects.requireNonNull(text, "text must not be null");
      if (text.length() > DISPUTE_TEXT_LENGTH_MAX) {
        throw new IllegalArgumentException("text must be at most " + DISPUTE_TEXT_LENGTH_MAX
            + " characters, but was " + text.length());
      }
    }
  }

  /**
   * An arbiter's decision on a disputed order: one award per unit.
   *
   * @param awards unit index to award, covering every unit of the order
   */
  record ArbiterDecided(Map<Integer, Award> awards) implements OrderEvent {
    /** Checks the map is not empty and its indices are in range; copies it in index order. */
    public ArbiterDecided {
      Objects.requireNonNull(awards, "awards must not be null");
      Check.range("number of awards", awards.size(), 1, Order.QUANTITY_MAX);
      TreeMap<Integer, Award> sorted = new TreeMap<>();
      awards.forEach((unit, award) -> {
        Check.range("unit", Objects.requireNonNull(unit, "unit must not be null"), 0, Order.QUANTITY_MAX - 1);
        sorted.put(unit, Objects.requireNonNull(award, "award must not be null"));
      });
      awards = Collections.unmodifiableMap(sorted);
    }

    /**
     * The same award for every unit of {@code order} still held in escrow: a whole-order release or
     * refund. Units refunded before the dispute are not named; their money already went back.
     */
    public static ArbiterDecided wholeOrder(Award award, Order order) {
      Collection<Integer> named = order.dispute() != null && order.dispute().isDecided()
          ? order.dispute().awards().keySet() // asked again: the same units, so a repeat is recognised
          : order.heldUnits();
      if (named.isEmpty()) {
        // Nothing is held: name every unit and let the order refuse the decision with its reason.
        named = order.units().stream().map(OrderUnit::index).toList();
      }
      Map<Integer, Award> awards = new TreeMap<>();
      for (int unit : named) {
        awards.put(unit, award);
      }
      return new ArbiterDecided(awards);
    }
  }

  private static void checkKeyRef(String keyRef) {
    Check.externalId("keyRef", keyRef);
  }
}
