package io.keyhold.escrow;

import io.keyhold.escrow.OrderEvent.ArbiterDecided;
import io.keyhold.escrow.OrderEvent.Cancel;
import io.keyhold.escrow.OrderEvent.Confirm;
import io.keyhold.escrow.OrderEvent.DeadlineReached;
import io.keyhold.escrow.OrderEvent.DisputeOpened;
import io.keyhold.escrow.OrderEvent.DuplicateKeyFound;
import io.keyhold.escrow.OrderEvent.KeysDelivered;
import io.keyhold.escrow.OrderEvent.PaymentReceived;
import io.keyhold.escrow.OrderEvent.Reveal;
import io.keyhold.escrow.OrderEvent.UnitChecked;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Applies one event to one order. A fresh instance per call holds the working copy of the order's
 * mutable parts and collects postings, evidence and effects; {@link #finish()} checks the result
 * (one legal arrow, balanced postings, escrow consistent) and freezes it into a {@link Transition}.
 *
 * <p>The rules live by event family: {@link PaymentRules}, {@link KeyRules}, {@link DeadlineRules},
 * {@link BuyerAndArbiterRules}; what several families share — a unit's progress, a refund of units
 * that cannot be fulfilled, closing the order — is in {@link Fulfilment} and {@link Settlement}. They
 * all change this working copy; only {@link #finish()} turns it into an outcome.
 */
final class OrderMachine {

  final Order before;
  final Instant now;
  private final long version;

  OrderState state;
  final OrderUnit[] units;
  final List<PaymentRecord> payments;
  Instant fundedAt;
  Instant resupplyStartedAt;
  Instant readyAt;
  Instant revealedAt;
  Dispute dispute;

  private final List<Posting> postings = new ArrayList<>();
  private final List<Fact> facts = new ArrayList<>();
  private final List<Effect> effects = new ArrayList<>();

  private record Fact(EvidenceType type, Map<String, String> details) {}

  private OrderMachine(Order order, Instant now) {
    this.before = order;
    this.now = now;
    this.version = order.version() + 1;
    this.state = order.state();
    this.units = order.units().toArray(new OrderUnit[0]);
    this.payments = new ArrayList<>(order.payments());
    this.fundedAt = order.fundedAt();
    this.resupplyStartedAt = order.resupplyStartedAt();
    this.readyAt = order.readyAt();
    this.revealedAt = order.revealedAt();
    this.dispute = order.dispute();
  }

  static Outcome apply(Order order, OrderEvent event, Instant now) {
    return new OrderMachine(order, now).handle(event);
  }

  private Outcome handle(OrderEvent event) {
    if (event instanceof PaymentReceived payment) {
      return PaymentRules.onPayment(this, payment);
    } else if (event instanceof KeysDelivered delivery) {
      return KeyRules.onKeysDelivered(this, delivery);
    } else if (event instanceof UnitChecked check) {
      return KeyRules.onUnitChecked(this, check);
    } else if (event instanceof DuplicateKeyFound duplicateKey) {
      return KeyRules.onDuplicateKey(this, duplicateKey);
    } else if (event instanceof DeadlineReached deadline) {
      return DeadlineRules.onDeadline(this, deadline);
    } else if (event instanceof Reveal) {
      return BuyerAndArbiterRules.onReveal(this);
    } else if (event instanceof Confirm) {
      return BuyerAndArbiterRules.onConfirm(this);
    } else if (event instanceof Cancel) {
      return BuyerAndArbiterRules.onCancel(this);
    } else if (event instanceof DisputeOpened disputeOpened) {
      return BuyerAndArbiterRules.onDisputeOpened(this, disputeOpened);
    } else if (event instanceof ArbiterDecided decision) {
      return BuyerAndArbiterRules.onArbiterDecided(this, decision);
    }
    throw new IllegalArgumentException("unhandled event type " + event.getClass().getName());
  }

  // ---- building the outcome

  Outcome finish() {
    if (now.isBefore(before.updatedAt())) {
      return reject(RejectionCode.CLOCK_BEHIND, "now (" + now + ") is before the last change of order "
          + before.id() + " (" + before.updatedAt() + ")");
    }
    if (facts.isEmpty()) {
      throw new IllegalStateException("a change of order " + before.id() + " left no evidence");
    }
    if (state != before.state()) {
      OrderArrow.between(before.state(), state);
    }
    List<EvidenceEvent> evidence = new ArrayList<>();
    String previousHash = before.lastEvidenceHash();
    long seq = before.evidenceSeq();
    for (Fact fact : facts) {
      EvidenceEvent event = EvidenceEvent.link(before.id(), ++seq, fact.type(), now, fact.details(), previousHash);
      evidence.add(event);
      previousHash = event.hash();
    }
    Order after = new Order(before.id(), before.merchantId(), before.skuId(), before.unitPrice(),
        before.feeBasisPoints(), before.policy(), state, Arrays.asList(units), payments, before.placedAt(),
        fundedAt, resupplyStartedAt, readyAt, revealedAt, dispute, now, version, seq, previousHash, before.backups());
    checkEscrow(after);
    return new Transition(after, postings, evidence, effects, false, before.state());
  }

  /** The escrow postings must move the escrow exactly from the old balance to the new one. */
  private void checkEscrow(Order after) {
    String escrow = Accounts.escrow(before.id());
    long moved = 0;
    for (Posting posting : postings) {
      if (posting.account().equals(escrow)) {
        if (!posting.amount().isSameCurrencyAs(before.unitPrice())) {
          throw new IllegalStateException("escrow of order " + before.id() + " posted in another currency: " + posting);
        }
        moved = Math.addExact(moved, posting.amount().minorUnits());
      }
    }
    long expected = after.escrowBalance().minorUnits() - before.escrowBalance().minorUnits();
    if (moved != expected || after.escrowBalance().isNegative()) {
      throw new IllegalStateException("escrow of order " + before.id() + " moved " + moved
          + " minor units, but its balance went from " + before.escrowBalance() + " to " + after.escrowBalance());
    }
  }

  // ---- what every family uses

  /** True in the states where keys are awaited and checked. */
  boolean isFulfilling() {
    return state == OrderState.FUNDED || state == OrderState.VALIDATING || state == OrderState.RESUPPLYING;
  }

  Outcome duplicate() {
    return Transition.duplicateOf(before);
  }

  Rejection reject(RejectionCode code, String detail) {
    return new Rejection(code, detail);
  }

  Rejection notAllowed(String what) {
    return reject(RejectionCode.STATE_DOES_NOT_ALLOW, what + " is not allowed for order " + before.id()
        + " in state " + state);
  }

  void post(String account, Money amount) {
    if (!amount.isZero()) {
      postings.add(new Posting(account, amount));
    }
  }

  void record(EvidenceType type, Map<String, String> details) {
    facts.add(new Fact(type, details));
    if (type.notifies()) {
      effects.add(new Effect.Notify(key(EffectKind.NOTIFY), before.id(), type));
    }
  }

  /** Adds an effect; its idempotency key must come from {@link #key(EffectKind)} just before. */
  void effect(Effect effect) {
    effects.add(effect);
  }

  /** The idempotency key of the effect about to be added. */
  String key(EffectKind kind) {
    return Effect.idempotencyKey(before.id(), version, effects.size(), kind);
  }

  static String join(List<Integer> indices) {
    return indices.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  static Map<String, String> details(String... keysAndValues) {
    Map<String, String> details = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      details.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return details;
  }
}
