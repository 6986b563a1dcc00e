package io.keyhold.escrow;

import static io.keyhold.escrow.OrderState.AWAITING_PAYMENT;
import static io.keyhold.escrow.OrderState.DISPUTED;
import static io.keyhold.escrow.OrderState.EXPIRED;
import static io.keyhold.escrow.OrderState.FUNDED;
import static io.keyhold.escrow.OrderState.INSPECTION;
import static io.keyhold.escrow.OrderState.PARTIALLY_REFUNDED;
import static io.keyhold.escrow.OrderState.READY;
import static io.keyhold.escrow.OrderState.REFUNDED;
import static io.keyhold.escrow.OrderState.RELEASED;
import static io.keyhold.escrow.OrderState.RESUPPLYING;
import static io.keyhold.escrow.OrderState.VALIDATING;

import io.keyhold.escrow.OrderEvent.ArbiterDecided;
import io.keyhold.escrow.OrderEvent.Cancel;
import io.keyhold.escrow.OrderEvent.Confirm;
import io.keyhold.escrow.OrderEvent.DeadlineReached;
import io.keyhold.escrow.OrderEvent.DeliveredKey;
import io.keyhold.escrow.OrderEvent.DisputeOpened;
import io.keyhold.escrow.OrderEvent.DuplicateKeyFound;
import io.keyhold.escrow.OrderEvent.KeysDelivered;
import io.keyhold.escrow.OrderEvent.PaymentReceived;
import io.keyhold.escrow.OrderEvent.Reveal;
import io.keyhold.escrow.OrderEvent.UnitChecked;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Applies one event to one order. A fresh instance per call holds the working copy of the order's
 * mutable parts and collects postings, evidence and effects; {@link #finish()} checks the result
 * (one legal arrow, balanced postings, escrow consistent) and freezes it into a {@link Transition}.
 */
final class OrderMachine {

  private final Order before;
  private final Instant now;
  private final long version;

  private OrderState state;
  private final OrderUnit[] units;
  private final List<PaymentRecord> payments;
  private Instant fundedAt;
  private Instant resupplyStartedAt;
  private Instant readyAt;
  private Instant revealedAt;
  private Dispute dispute;

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
      return onPayment(payment);
    } else if (event instanceof KeysDelivered delivery) {
      return onKeysDelivered(delivery);
    } else if (event instanceof UnitChecked check) {
      return onUnitChecked(check);
    } else if (event instanceof DuplicateKeyFound duplicateKey) {
      return onDuplicateKey(duplicateKey);
    } else if (event instanceof DeadlineReached) {
      return onDeadline();
    } else if (event instanceof Reveal) {
      return onReveal();
    } else if (event instanceof Confirm) {
      return onConfirm();
    } else if (event instanceof Cancel) {
      return onCancel();
    } else if (event instanceof DisputeOpened disputeOpened) {
      return onDisputeOpened(disputeOpened);
    } else if (event instanceof ArbiterDecided decision) {
      return onArbiterDecided(decision);
    }
    throw new IllegalArgumentException("unhandled event type " + event.getClass().getName());
  }

  // ---- payments

  private Outcome onPayment(PaymentReceived payment) {
    for (PaymentRecord known : payments) {
      if (known.paymentId().equals(payment.paymentId())) {
        return known.amount().equals(payment.amount())
            ? duplicate()
            : reject(RejectionCode.PAYMENT_EXISTS_WITH_DIFFERENT_AMOUNT, "payment " + payment.paymentId()
                + " exists with amount " + known.amount() + ", but this notice says " + payment.amount());
      }
    }
    if (payments.size() >= Order.MAX_PAYMENTS) {
      return reject(RejectionCode.TOO_MANY_PAYMENTS, "order " + before.id() + " already recorded "
          + payments.size() + " payments; payment " + payment.paymentId() + " needs an operator");
    }
    boolean rightAmount = payment.amount().equals(before.total());
    if (state == AWAITING_PAYMENT) {
      if (rightAmount) {
        fund(payment);
      } else {
        refundAtOnce(payment, RefundReason.WRONG_AMOUNT);
      }
    } else if (state == EXPIRED) {
      if (before.wouldFulfilLatePayment(payment.amount()) && payment.stockStillReservable()) {
        fund(payment);
      } else {
        refundAtOnce(payment, rightAmount ? RefundReason.LATE_PAYMENT : RefundReason.WRONG_AMOUNT);
      }
    } else {
      refundAtOnce(payment, RefundReason.ALREADY_FUNDED);
    }
    return finish();
  }

  private void fund(PaymentReceived payment) {
    payments.add(new PaymentRecord(payment.paymentId(), payment.amount(), PaymentUse.FUNDED, now));
    fundedAt = now;
    post(Accounts.PAYMENTS_IN, payment.amount().negate());
    post(Accounts.escrow(before.id()), payment.amount());
    state = FUNDED;
    record(EvidenceType.ORDER_FUNDED, details(
        "payment_id", payment.paymentId(), "amount", payment.amount().toCanonicalString()));
    List<Integer> all = new ArrayList<>();
    for (OrderUnit unit : units) {
      all.add(unit.index());
    }
    effects.add(new Effect.RequestDelivery(key(EffectKind.REQUEST_DELIVERY), before.id(), all));
  }

  private void refundAtOnce(PaymentReceived payment, RefundReason reason) {
    payments.add(new PaymentRecord(payment.paymentId(), payment.amount(), PaymentUse.REFUNDED, now));
    post(Accounts.PAYMENTS_IN, payment.amount().negate());
    post(Accounts.REFUNDS_OUT, payment.amount());
    record(EvidenceType.PAYMENT_REFUNDED, details("payment_id", payment.paymentId(),
        "amount", payment.amount().toCanonicalString(), "reason", reason.code()));
    effects.add(new Effect.RefundPayment(
        key(EffectKind.REFUND_PAYMENT), before.id(), payment.paymentId(), payment.amount(), reason));
  }

  // ---- keys and verdicts

  private Outcome onKeysDelivered(KeysDelivered delivery) {
    List<DeliveredKey> fresh = new ArrayList<>();
    for (DeliveredKey key : delivery.keys()) {
      if (key.unit() >= units.length) {
        return unknownUnit(key.unit());
      }
      OrderUnit unit = units[key.unit()];
      if (key.keyRef().equals(unit.keyRef())) {
        if (!key.fingerprint().equals(unit.fingerprint())) {
          return reject(RejectionCode.UNIT_HOLDS_OTHER_KEY, "unit " + key.unit() + " holds key "
              + key.keyRef() + " with another fingerprint");
        }
        continue;
      }
      fresh.add(key);
    }
    if (fresh.isEmpty()) {
      return duplicate();
    }
    if (!isFulfilling()) {
      return notAllowed("a key delivery");
    }
    for (DeliveredKey key : fresh) {
      if (!units[key.unit()].state().lacksUsableKey()) {
        return reject(RejectionCode.UNIT_HOLDS_OTHER_KEY, "unit " + key.unit() + " holds key "
            + units[key.unit()].keyRef() + " in state " + units[key.unit()].state() + " and awaits no key");
      }
    }
    for (DeliveredKey key : fresh) {
      OrderUnit unit = units[key.unit()].delivered(key.keyRef(), key.fingerprint(), now);
      units[key.unit()] = unit;
      record(EvidenceType.UNIT_KEY_DELIVERED, details("unit", Integer.toString(unit.index()),
          "key_ref", unit.keyRef(), "fingerprint", unit.fingerprint(),
          "delivery", Integer.toString(unit.deliveries())));
      effects.add(new Effect.ValidateUnit(key(EffectKind.VALIDATE_UNIT), before.id(), unit.index(), unit.keyRef(), 1));
    }
    progress();
    return finish();
  }

  private Outcome onUnitChecked(UnitChecked check) {
    if (check.unit() >= units.length) {
      return unknownUnit(check.unit());
    }
    OrderUnit unit = units[check.unit()];
    if (!isFulfilling() || !check.keyRef().equals(unit.keyRef()) || !unit.state().awaitsVerdict()) {
      // A verdict for a replaced key, or a second verdict for a key already judged, can no longer matter.
      return duplicate();
    }
    if (check.verdict() == KeyVerdict.UNKNOWN && unit.checks() >= Order.MAX_CHECKS_PER_KEY) {
      // Past the limit an unknown answer teaches nothing new; only the validation deadline decides now.
      return duplicate();
    }
    UnitState verdictState = switch (check.verdict()) {
      case VALID -> UnitState.VALID;
      case INVALID -> UnitState.INVALID;
      case REDEEMED -> UnitState.REDEEMED;
      case UNKNOWN -> UnitState.UNKNOWN;
    };
    unit = unit.checked(verdictState, now);
    units[unit.index()] = unit;
    record(EvidenceType.UNIT_CHECKED, details("unit", Integer.toString(unit.index()), "key_ref", unit.keyRef(),
        "fingerprint", unit.fingerprint(), "verdict", check.verdict().code(), "check", Integer.toString(unit.checks())));
    switch (check.verdict()) {
      case UNKNOWN -> {
        if (unit.checks() < Order.MAX_CHECKS_PER_KEY) {
          effects.add(new Effect.ValidateUnit(
              key(EffectKind.VALIDATE_UNIT), before.id(), unit.index(), unit.keyRef(), unit.checks() + 1));
        }
        progress();
      }
      case VALID -> progress();
      case INVALID -> replaceOrRefund(Map.of(unit.index(), ReplacementReason.INVALID));
      case REDEEMED -> replaceOrRefund(Map.of(unit.index(), ReplacementReason.REDEEMED));
    }
    return finish();
  }

  private Outcome onDuplicateKey(DuplicateKeyFound found) {
    if (found.unit() >= units.length) {
      return unknownUnit(found.unit());
    }
    OrderUnit unit = units[found.unit()];
    UnitState unitState = unit.state();
    if (!found.keyRef().equals(unit.keyRef()) || unitState == UnitState.INVALID
        || unitState == UnitState.REDEEMED || unitState == UnitState.REFUNDED) {
      // Already replaced, already bad, or already refunded: nothing left to protect.
      return duplicate();
    }
    if (unitState == UnitState.RELEASED) {
      return reject(RejectionCode.STATE_DOES_NOT_ALLOW, "unit " + unit.index()
          + " was already released to the merchant; the duplicate key needs an operator");
    }
    if (state == INSPECTION || state == DISPUTED) {
      return reject(RejectionCode.ALREADY_REVEALED, "unit " + unit.index()
          + " was already revealed to the buyer in state " + state + "; the duplicate key needs an operator");
    }
    units[unit.index()] = unit.inState(UnitState.INVALID);
    record(EvidenceType.UNIT_DUPLICATE_KEY, details("unit", Integer.toString(unit.index()),
        "key_ref", unit.keyRef(), "fingerprint", unit.fingerprint()));
    replaceOrRefund(Map.of(unit.index(), ReplacementReason.DUPLICATE_KEY));
    return finish();
  }

  // ---- deadlines

  private Outcome onDeadline() {
    Instant due = before.nextActionAt();
    if (due == null || now.isBefore(due)) {
      return reject(RejectionCode.NOT_DUE, due == null
          ? "no deadline applies to order " + before.id() + " in state " + state
          : "the next deadline of order " + before.id() + " is " + due + ", not yet at " + now);
    }
    switch (state) {
      case AWAITING_PAYMENT -> {
        state = EXPIRED;
        record(EvidenceType.ORDER_EXPIRED, details("pay_by", before.payBy().toString()));
        effects.add(new Effect.ReleaseReservation(key(EffectKind.RELEASE_RESERVATION), before.id()));
      }
      case FUNDED, VALIDATING, RESUPPLYING -> onFulfilmentDeadline();
      case READY -> settle(unit -> Award.RELEASE, ReleaseReason.MAX_HOLD, RefundReason.NOT_FULFILLED, "max_hold");
      case INSPECTION -> settle(unit -> Award.RELEASE, ReleaseReason.INSPECTION_WINDOW_OVER,
          RefundReason.NOT_FULFILLED, "inspection_window_over");
      default -> throw new IllegalStateException("order " + before.id() + " in state " + state + " had deadline " + due);
    }
    return finish();
  }

  /**
   * Judges each held unit on the deadline that belongs to it: the first key on the delivery deadline,
   * a key's verdict on its validation deadline, a replacement on the resupply window. A unit that can no
   * longer be fulfilled is refunded alone; the others go on.
   */
  private void onFulfilmentDeadline() {
    Instant resupplyBy = before.resupplyBy();
    boolean windowClosed = resupplyBy != null && !now.isBefore(resupplyBy);
    Map<Integer, ReplacementReason> bad = new LinkedHashMap<>();
    Map<Integer, String> failed = new LinkedHashMap<>();
    for (OrderUnit unit : units) {
      if (unit.state().isSettled()) {
        continue;
      }
      if (unit.awaitsReplacement() && windowClosed) {
        failed.put(unit.index(), "resupply_window_closed");
      } else if (unit.awaitsFirstDelivery() && !now.isBefore(before.deliverBy())) {
        bad.put(unit.index(), ReplacementReason.NOT_DELIVERED);
      } else if (unit.state().awaitsVerdict() && !now.isBefore(before.validateBy(unit))) {
        record(EvidenceType.UNIT_VALIDATION_TIMED_OUT, details("unit", Integer.toString(unit.index()),
            "key_ref", unit.keyRef(), "checks", Integer.toString(unit.checks())));
        if (before.policy().unknownVerdictPolicy() == UnknownVerdictPolicy.REFUND) {
          failed.put(unit.index(), "verdict_unknown");
        } else {
          units[unit.index()] = unit.inState(UnitState.INVALID);
          bad.put(unit.index(), ReplacementReason.VERDICT_UNKNOWN);
        }
      }
    }
    replaceOrRefund(bad, failed);
  }

  // ---- buyer and arbiter

  private Outcome onReveal() {
    if (revealedAt != null) {
      return duplicate();
    }
    boolean anyReleased = Arrays.stream(units).anyMatch(u -> u.state() == UnitState.RELEASED);
    if (state == READY || ((state == RELEASED || state == PARTIALLY_REFUNDED) && anyReleased)) {
      revealedAt = now;
      if (state == READY) {
        state = INSPECTION;
      }
      record(EvidenceType.KEYS_REVEALED, details("units", indices(u -> u.state() == UnitState.VALID
          || u.state() == UnitState.RELEASED)));
      return finish();
    }
    if (isFulfilling() || state == AWAITING_PAYMENT) {
      return reject(RejectionCode.KEYS_NOT_READY, "the keys of order " + before.id()
          + " are not all checked valid yet (state " + state + ")");
    }
    return notAllowed("a reveal");
  }

  private Outcome onConfirm() {
    if (state == INSPECTION) {
      Instant endsAt = before.inspectionEndsAt();
      if (!now.isBefore(endsAt)) {
        // The window the buyer was shown is over: the sweeper releases the keys for its own reason.
        return reject(RejectionCode.INSPECTION_WINDOW_CLOSED, "the inspection window of order "
            + before.id() + " closed at " + endsAt);
      }
      settle(unit -> Award.RELEASE, ReleaseReason.CONFIRMED, RefundReason.NOT_FULFILLED, "confirmed");
      return finish();
    }
    if ((state == RELEASED || state == PARTIALLY_REFUNDED) && revealedAt != null && dispute == null) {
      return duplicate();
    }
    if (state == READY) {
      return reject(RejectionCode.NOT_REVEALED, "the buyer must reveal the keys of order " + before.id()
          + " before confirming");
    }
    if (isFulfilling() || state == AWAITING_PAYMENT) {
      return reject(RejectionCode.KEYS_NOT_READY, "the keys of order " + before.id()
          + " are not all checked valid yet (state " + state + ")");
    }
    return notAllowed("a confirmation");
  }

  private Outcome onCancel() {
    if (isFulfilling() || state == READY) {
      record(EvidenceType.ORDER_CANCELLED, details("state", state.code()));
      settle(unit -> Award.REFUND, ReleaseReason.PARTIAL_FULFILMENT, RefundReason.CANCELLED, "cancelled");
      return finish();
    }
    if (state == REFUNDED) {
      return duplicate();
    }
    if (state == INSPECTION || state == DISPUTED) {
      return reject(RejectionCode.ALREADY_REVEALED, "order " + before.id()
          + " cannot be cancelled: the keys were revealed at " + revealedAt);
    }
    if (state == AWAITING_PAYMENT) {
      return reject(RejectionCode.NOT_FUNDED, "order " + before.id() + " was never paid; it expires at "
          + before.payBy());
    }
    return notAllowed("a cancellation");
  }

  private Outcome onDisputeOpened(DisputeOpened opened) {
    if (dispute != null) {
      return dispute.reason() == opened.reason() && dispute.text().equals(opened.text())
          ? duplicate()
          : reject(RejectionCode.DISPUTE_ALREADY_OPEN, "order " + before.id() + " already has a dispute ("
              + dispute.reason().code() + ") opened at " + dispute.openedAt());
    }
    if (state == INSPECTION) {
      Instant endsAt = before.inspectionEndsAt();
      if (!now.isBefore(endsAt)) {
        return reject(RejectionCode.INSPECTION_WINDOW_CLOSED, "the inspection window of order "
            + before.id() + " closed at " + endsAt);
      }
      dispute = Dispute.open(opened.reason(), opened.text(), now);
      state = DISPUTED;
      record(EvidenceType.DISPUTE_OPENED, details("reason", opened.reason().code(),
          "text_sha256", sha256Hex(opened.text()), "text_length", Integer.toString(opened.text().length())));
      return finish();
    }
    if (revealedAt != null) {
      return reject(RejectionCode.INSPECTION_WINDOW_CLOSED, "the inspection window of order "
          + before.id() + " closed at " + before.inspectionEndsAt() + " (state " + state + ")");
    }
    if (state == READY) {
      return reject(RejectionCode.NOT_REVEALED, "the buyer must reveal the keys of order " + before.id()
          + " before disputing; before the reveal a cancel refunds in full");
    }
    if (isFulfilling() || state == AWAITING_PAYMENT) {
      return reject(RejectionCode.KEYS_NOT_READY, "the keys of order " + before.id()
          + " are not all checked valid yet (state " + state + ")");
    }
    return notAllowed("a dispute");
  }

  private Outcome onArbiterDecided(ArbiterDecided decision) {
    if (state != DISPUTED) {
      if (dispute != null && dispute.isDecided() && dispute.awards().equals(decision.awards())) {
        return duplicate();
      }
      return notAllowed("an arbiter decision");
    }
    List<Integer> held = before.heldUnits();
    if (!decision.awards().keySet().equals(new TreeSet<>(held))) {
      return reject(RejectionCode.AWARDS_DO_NOT_MATCH_UNITS, "order " + before.id() + " holds units " + held
          + " in escrow (the others were refunded already), but the awards name units " + decision.awards().keySet());
    }
    dispute = dispute.decided(decision.awards(), now);
    record(EvidenceType.DISPUTE_DECIDED, details(
        "release_units", awarded(decision, Award.RELEASE), "refund_units", awarded(decision, Award.REFUND)));
    settle(unit -> decision.awards().get(unit.index()), ReleaseReason.ARBITER, RefundReason.ARBITER, "arbiter");
    return finish();
  }

  private static String awarded(ArbiterDecided decision, Award award) {
    return decision.awards().entrySet().stream().filter(e -> e.getValue() == award)
        .map(e -> e.getKey().toString()).collect(Collectors.joining(","));
  }

  // ---- fulfilment rules

  /** True in the states where keys are awaited and checked. */
  private boolean isFulfilling() {
    return state == FUNDED || state == VALIDATING || state == RESUPPLYING;
  }

  /** Requests a replacement for each bad unit, or refunds it alone when it cannot be re-supplied. */
  private void replaceOrRefund(Map<Integer, ReplacementReason> bad) {
    replaceOrRefund(bad, new LinkedHashMap<>());
  }

  /**
   * Requests a replacement for each bad unit that may still get one; the units in {@code failed} (with
   * their cause), and bad units whose attempts ran out or whose resupply window closed, are refunded
   * alone — their siblings go on. With no unit left held, the order settles.
   */
  private void replaceOrRefund(Map<Integer, ReplacementReason> bad, Map<Integer, String> failed) {
    Instant resupplyBy = before.resupplyBy();
    boolean windowOpen = resupplyBy == null || now.isBefore(resupplyBy);
    bad.forEach((index, reason) -> {
      if (!windowOpen) {
        failed.put(index, "resupply_window_closed");
      } else if (units[index].replacements() >= before.policy().maxResupplyAttempts()) {
        failed.put(index, "resupply_attempts_exhausted");
      } else {
        OrderUnit unit = units[index].replacementRequested();
        units[index] = unit;
        if (resupplyStartedAt == null) {
          resupplyStartedAt = now;
        }
        record(EvidenceType.UNIT_REPLACEMENT_REQUESTED, details("unit", Integer.toString(index),
            "reason", reason.code(), "attempt", Integer.toString(unit.replacements())));
        effects.add(new Effect.RequestReplacement(
            key(EffectKind.REQUEST_REPLACEMENT), before.id(), index, reason, unit.replacements()));
      }
    });
    if (failed.isEmpty()) {
      progress();
    } else {
      refundUnfulfilled(failed);
    }
  }

  /** Derives the fulfilment state from the units after a change that did not settle the order. */
  private void progress() {
    if (Arrays.stream(units).allMatch(u -> u.state() == UnitState.VALID || u.state().isSettled())) {
      becomeReady();
    } else if (Arrays.stream(units).anyMatch(u -> !u.state().isSettled() && u.awaitsReplacement())) {
      state = RESUPPLYING;
    } else if (Arrays.stream(units).anyMatch(u -> u.deliveries() > 0)) {
      state = VALIDATING;
    } else {
      state = FUNDED;
    }
  }

  private void becomeReady() {
    if (state != READY) {
      state = READY;
      readyAt = now;
      record(EvidenceType.ORDER_READY, details("units", Long.toString(Arrays.stream(units).filter(u -> u.state() == UnitState.VALID).count())));
    }
  }

  /**
   * Refunds the units that can no longer be fulfilled (index to cause). When no other unit is held the
   * order settles; otherwise only these units are refunded, and their siblings stay held — valid ones
   * sealed until the buyer's confirmation, the end of the inspection window after the reveal, or the
   * maximum hold; the others still on their own deadlines. Refunding one unit never releases another.
   */
  private void refundUnfulfilled(Map<Integer, String> failed) {
    String cause = failed.values().iterator().next();
    boolean othersHeld = Arrays.stream(units)
        .anyMatch(u -> !u.state().isSettled() && !failed.containsKey(u.index()));
    if (!othersHeld) {
      settle(unit -> Award.REFUND, ReleaseReason.PARTIAL_FULFILMENT, RefundReason.NOT_FULFILLED, cause);
      return;
    }
    List<Integer> refunded = new ArrayList<>(failed.keySet());
    List<String> returnedKeys = new ArrayList<>();
    for (int index : refunded) {
      OrderUnit unit = units[index];
      if (unit.state().awaitsVerdict()) {
        returnedKeys.add(unit.keyRef());
      }
      units[index] = unit.inState(UnitState.REFUNDED);
    }
    Money refund = before.unitPrice().times(refunded.size());
    post(Accounts.escrow(before.id()), refund.negate());
    post(Accounts.REFUNDS_OUT, refund);
    record(EvidenceType.UNITS_REFUNDED, details("cause", cause, "refunded_units", join(refunded),
        "refund", refund.toCanonicalString(), "refund_reason", RefundReason.NOT_FULFILLED.code()));
    effects.add(new Effect.RefundPayment(key(EffectKind.REFUND_PAYMENT), before.id(), fundingPaymentId(), refund,
        RefundReason.NOT_FULFILLED));
    if (!returnedKeys.isEmpty()) {
      effects.add(new Effect.ReturnKeysToShop(key(EffectKind.RETURN_KEYS_TO_SHOP), before.id(), returnedKeys));
    }
    progress();
  }

  private String fundingPaymentId() {
    return payments.stream().filter(p -> p.use() == PaymentUse.FUNDED).map(PaymentRecord::paymentId).findFirst()
        .orElseThrow(() -> new IllegalStateException("order " + before.id() + " settles without a funding payment"));
  }

  /**
   * Closes the order: each unit released or refunded as {@code award} says, the escrow emptied into
   * the merchant's payable, the platform's fees and the refunds, and the matching effects.
   */
  private void settle(Function<OrderUnit, Award> award, ReleaseReason releaseReason, RefundReason refundReason,
      String cause) {
    List<Integer> released = new ArrayList<>();
    List<Integer> refunded = new ArrayList<>();
    List<String> returnedKeys = new ArrayList<>();
    for (OrderUnit unit : units) {
      if (unit.state().isSettled()) {
        continue;
      }
      if (award.apply(unit) == Award.RELEASE) {
        if (unit.state() != UnitState.VALID) {
          throw new IllegalStateException("order " + before.id() + " would release unit " + unit.index()
              + " in state " + unit.state() + "; only valid units are released");
        }
        units[unit.index()] = unit.inState(UnitState.RELEASED);
        released.add(unit.index());
      } else {
        boolean unseen = revealedAt == null && (unit.state() == UnitState.VALID || unit.state().awaitsVerdict());
        if (unseen) {
          returnedKeys.add(unit.keyRef());
        }
        units[unit.index()] = unit.inState(UnitState.REFUNDED);
        refunded.add(unit.index());
      }
    }
    Money gross = before.unitPrice().times(released.size());
    Money fee = gross.basisPoints(before.feeBasisPoints(), Order.FEE_ROUNDING);
    Money net = gross.minus(fee);
    Money refund = before.unitPrice().times(refunded.size());
    post(Accounts.escrow(before.id()), gross.plus(refund).negate());
    post(Accounts.merchantPayable(before.merchantId()), net);
    post(Accounts.PLATFORM_FEES, fee);
    post(Accounts.REFUNDS_OUT, refund);

    boolean anyReleased = Arrays.stream(units).anyMatch(u -> u.state() == UnitState.RELEASED);
    boolean anyRefunded = Arrays.stream(units).anyMatch(u -> u.state() == UnitState.REFUNDED);
    state = !anyRefunded ? RELEASED : !anyReleased ? REFUNDED : PARTIALLY_REFUNDED;
    EvidenceType type = switch (state) {
      case RELEASED -> EvidenceType.ORDER_RELEASED;
      case REFUNDED -> EvidenceType.ORDER_REFUNDED;
      default -> EvidenceType.ORDER_PARTIALLY_REFUNDED;
    };
    Map<String, String> details = details("cause", cause,
        "released_units", join(released), "refunded_units", join(refunded),
        "gross", gross.toCanonicalString(), "fee", fee.toCanonicalString(), "net", net.toCanonicalString(),
        "refund", refund.toCanonicalString());
    if (!released.isEmpty()) {
      details.put("release_reason", releaseReason.code());
    }
    if (!refunded.isEmpty()) {
      details.put("refund_reason", refundReason.code());
    }
    record(type, details);
    if (!released.isEmpty()) {
      effects.add(new Effect.ReleaseFunds(key(EffectKind.RELEASE_FUNDS), before.id(), before.merchantId(),
          released, gross, fee, net, releaseReason));
    }
    if (!refunded.isEmpty()) {
      effects.add(new Effect.RefundPayment(
          key(EffectKind.REFUND_PAYMENT), before.id(), fundingPaymentId(), refund, refundReason));
    }
    if (!returnedKeys.isEmpty()) {
      effects.add(new Effect.ReturnKeysToShop(key(EffectKind.RETURN_KEYS_TO_SHOP), before.id(), returnedKeys));
    }
    effects.add(new Effect.ReleaseReservation(key(EffectKind.RELEASE_RESERVATION), before.id()));
  }

  // ---- building the outcome

  private Outcome finish() {
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
        fundedAt, resupplyStartedAt, readyAt, revealedAt, dispute, now, version, seq, previousHash);
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

  private Outcome duplicate() {
    return Transition.duplicateOf(before);
  }

  private Rejection reject(RejectionCode code, String detail) {
    return new Rejection(code, detail);
  }

  private Rejection notAllowed(String what) {
    return reject(RejectionCode.STATE_DOES_NOT_ALLOW, what + " is not allowed for order " + before.id()
        + " in state " + state);
  }

  private Rejection unknownUnit(int unit) {
    return reject(RejectionCode.UNKNOWN_UNIT, "order " + before.id() + " has units 0.." + (units.length - 1)
        + ", not " + unit);
  }

  private void post(String account, Money amount) {
    if (!amount.isZero()) {
      postings.add(new Posting(account, amount));
    }
  }

  private void record(EvidenceType type, Map<String, String> details) {
    facts.add(new Fact(type, details));
    if (type.notifies()) {
      effects.add(new Effect.Notify(key(EffectKind.NOTIFY), before.id(), type));
    }
  }

  /** The idempotency key of the effect about to be added. */
  private String key(EffectKind kind) {
    return Effect.idempotencyKey(before.id(), version, effects.size(), kind);
  }

  private String indices(Predicate<OrderUnit> which) {
    return join(Arrays.stream(units).filter(which).map(OrderUnit::index).collect(Collectors.toList()));
  }

  private static String join(List<Integer> indices) {
    return indices.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  private static Map<String, String> details(String... keysAndValues) {
    Map<String, String> details = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      details.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return details;
  }

  private static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
