package io.keyhold.escrow;

import java.math.RoundingMode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An escrow order: {@code quantity} card keys of one SKU from one merchant, the buyer's money held
 * until the keys are checked valid, and the whole order life of docs/order-life.md. Immutable; every change
 * is one call, {@link #on(OrderEvent, Instant)}, which returns a {@link Rejection} or a
 * {@link Transition} holding the next order. The clock is an argument: the order never reads time.
 *
 * <p>The canonical constructor restores a stored order (the gateway keeps every component); it checks
 * the components fit together. New orders come from {@link #place(OrderDraft, Instant)}.
 *
 * <p>Deadlines are derived from the stored times and the order's {@link SkuPolicy}:
 * {@link #payBy()}, {@link #deliverBy()}, {@link #resupplyBy()}, {@link #validateBy(OrderUnit)},
 * {@link #holdUntil()}, {@link #inspectionEndsAt()}; {@link #nextActionAt()} is the earliest that
 * applies now — persist it so the sweeper finds the order.
 *
 * <p>Money: price and fee are fixed at placement; a release pays the released units' price minus
 * {@code feeBasisPoints} of it (fee rounded down, in the merchant's favour) to the merchant and the fee
 * to the platform; a refund returns the refunded units' full price. See {@link Accounts}.
 *
 * @param id the order id
 * @param merchantId the merchant
 * @param skuId the SKU
 * @param unitPrice price of one unit
 * @param feeBasisPoints the platform fee in basis points
 * @param policy the SKU's terms at the time of sale
 * @param state where the order is
 * @param units one entry per unit, index {@code i} at position {@code i}
 * @param payments every payment received, in arrival order (at most {@link #PAYMENTS_MAX})
 * @param placedAt when the order was placed
 * @param fundedAt when a payment funded it, or null
 * @param resupplyStartedAt when the first replacement was requested, or null
 * @param readyAt when it last became {@link OrderState#READY}, or null
 * @param revealedAt when the buyer revealed the keys, or null
 * @param dispute the dispute, or null
 * @param updatedAt the time of the last change (its last evidence event)
 * @param version starts at 1, plus one per stored transition: the optimistic lock
 * @param evidenceSeq the sequence number of the last evidence event
 * @param lastEvidenceHash the hash of the last evidence event: the next event links to it
 * @param backups the backup sources snapshotted at checkout, tried in this order for a unit its merchant
 *     cannot supply (at most {@link #BACKUP_SOURCES_MAX}); a unit's {@link OrderUnit#source()} points into it
 */
public record Order(
    String id, String merchantId, String skuId, Money unitPrice, int feeBasisPoints, SkuPolicy policy,
    OrderState state, List<OrderUnit> units, List<PaymentRecord> payments,
    Instant placedAt, Instant fundedAt, Instant resupplyStartedAt, Instant readyAt, Instant revealedAt,
    Dispute dispute, Instant updatedAt, long version, long evidenceSeq, String lastEvidenceHash,
    List<BackupSource> backups) {

  /** An order without backup sources (its shape before they existed). */
  public Order(String id, String merchantId, String skuId, Money unitPrice, int feeBasisPoints, SkuPolicy policy,
      OrderState state, List<OrderUnit> units, List<PaymentRecord> payments,
      Instant placedAt, Instant fundedAt, Instant resupplyStartedAt, Instant readyAt, Instant revealedAt,
      Dispute dispute, Instant updatedAt, long version, long evidenceSeq, String lastEvidenceHash) {
    this(id, merchantId, skuId, unitPrice, feeBasisPoints, policy, state, units, payments, placedAt, fundedAt,
        resupplyStartedAt, readyAt, revealedAt, dispute, updatedAt, version, evidenceSeq, lastEvidenceHash, List.of());
  }

  /** The most units one order may have. */
  public static final int QUANTITY_MAX = 100;
  /** Events one {@link #onAll} may apply: a delivery plus a duplicate found per unit. */
  public static final int EVENTS_AT_ONCE_MAX = 1 + QUANTITY_MAX;
  /** The most payments one order records; beyond it notices are rejected for an operator to look at. */
  public static final int PAYMENTS_MAX = 16;
  /** The most verdicts one key gets; past it, {@link KeyVerdict#UNKNOWN} is not retried and the validation deadline decides. */
  public static final int CHECKS_PER_KEY_MAX = 20;
  /**
   * The most backup sources a SKU may list. Each gives a unit a fresh resupply window and attempts, so the
   * longest a unit can wait is the delivery deadline plus (1 + this) resupply windows.
   */
  public static final int BACKUP_SOURCES_MAX = 3;
  /** How a fee is rounded: down, so the platform never takes more than its rate. */
  public static final RoundingMode FEE_ROUNDING = RoundingMode.DOWN;

  /** Checks the components fit together. */
  public Order {
    Check.id("id", id);
    Check.id("merchantId", merchantId);
    Check.id("skuId", skuId);
    Objects.requireNonNull(unitPrice, "unitPrice must not be null");
    if (!unitPrice.isPositive()) {
      throw new IllegalArgumentException("unitPrice must be greater than 0, but was " + unitPrice);
    }
    Check.range("feeBasisPoints", feeBasisPoints, 0, Money.BASIS_POINTS_PER_WHOLE);
    Objects.requireNonNull(policy, "policy must not be null");
    Objects.requireNonNull(state, "state must not be null");
    units = List.copyOf(units);
    Check.range("quantity", units.size(), 1, QUANTITY_MAX);
    unitPrice.times(units.size());
    for (int i = 0; i < units.size(); i++) {
      if (units.get(i).index() != i) {
        throw new IllegalArgumentException("unit at position " + i + " has index " + units.get(i).index());
      }
    }
    payments = List.copyOf(payments);
    Check.range("number of payments", payments.size(), 0, PAYMENTS_MAX);
    if (payments.stream().map(PaymentRecord::paymentId).distinct().count() != payments.size()) {
      throw new IllegalArgumentException("order " + id + " lists a payment id twice");
    }
    long funding = payments.stream().filter(p -> p.use() == PaymentUse.FUNDED).count();
    boolean funded = state != OrderState.AWAITING_PAYMENT && state != OrderState.EXPIRED;
    if (funding != (funded ? 1 : 0) || funded != (fundedAt != null)) {
      throw new IllegalArgumentException("order " + id + " in state " + state + " has " + funding
          + " funding payments and fundedAt " + fundedAt);
    }
    Objects.requireNonNull(placedAt, "placedAt must not be null");
    Objects.requireNonNull(updatedAt, "updatedAt must not be null");
    if ((state == OrderState.INSPECTION || state == OrderState.DISPUTED) && revealedAt == null) {
      throw new IllegalArgumentException("order " + id + " in state " + state + " must have revealedAt");
    }
    for (OrderUnit unit : units) {
      // A unit is released only when its order settles for good; a refund may come earlier, but only
      // once the money was taken in and fulfilment has started.
      if (unit.state() == UnitState.RELEASED && !state.isTerminal()) {
        throw new IllegalArgumentException("order " + id + " in state " + state + " has released unit " + unit.index());
      }
      if (unit.state() == UnitState.REFUNDED && (fundedAt == null || state == OrderState.FUNDED)) {
        throw new IllegalArgumentException("order " + id + " in state " + state + " has refunded unit " + unit.index());
      }
      if (state.isTerminal() && fundedAt != null && !unit.state().isSettled()) {
        throw new IllegalArgumentException("order " + id + " in state " + state + " has unit " + unit.index()
            + " still held in state " + unit.state());
      }
    }
    if ((state == OrderState.DISPUTED) != (dispute != null && !dispute.isDecided())) {
      throw new IllegalArgumentException("order " + id + " in state " + state + " has dispute " + dispute);
    }
    Check.atLeast("version", version, 1);
    Check.atLeast("evidenceSeq", evidenceSeq, 1);
    Check.fingerprint("lastEvidenceHash", lastEvidenceHash);
    backups = List.copyOf(backups);
    checkBackups(merchantId, skuId, backups);
    for (OrderUnit unit : units) {
      if (unit.source() > backups.size()) {
        throw new IllegalArgumentException("order " + id + " has " + backups.size() + " backup sources, but unit "
            + unit.index() + " is at source " + unit.source());
      }
    }
  }

  /** At most {@link #BACKUP_SOURCES_MAX} sources, none of them the primary SKU, none listed twice. */
  static void checkBackups(String merchantId, String skuId, List<BackupSource> backups) {
    Check.range("number of backup sources", backups.size(), 0, BACKUP_SOURCES_MAX);
    Set<String> seen = new HashSet<>();
    seen.add(merchantId + "/" + skuId);
    for (BackupSource backup : backups) {
      Objects.requireNonNull(backup, "backup source must not be null");
      if (!seen.add(backup.label())) {
        throw new IllegalArgumentException("backup source " + backup.label() + " is the SKU itself or listed twice");
      }
    }
  }

  /**
   * Places an order: state {@link OrderState#AWAITING_PAYMENT}, version 1, and the first evidence
   * event ({@link EvidenceType#ORDER_PLACED}, holding the terms). No postings, no effects.
   */
  public static Transition place(OrderDraft draft, Instant now) {
    Objects.requireNonNull(draft, "draft must not be null");
    Instant at = Objects.requireNonNull(now, "now must not be null").truncatedTo(ChronoUnit.MICROS);
    Map<String, String> details = new LinkedHashMap<>();
    details.put("merchant_id", draft.merchantId());
    details.put("sku_id", draft.skuId());
    details.put("quantity", Integer.toString(draft.quantity()));
    details.put("unit_price", draft.unitPrice().toCanonicalString());
    details.put("total", draft.unitPrice().times(draft.quantity()).toCanonicalString());
    details.put("fee_basis_points", Integer.toString(draft.feeBasisPoints()));
    details.putAll(draft.policy().toDetails());
    if (!draft.backups().isEmpty()) {
      details.put("backup_sources", String.join(",", draft.backups().stream()
          .map(b -> b.label() + "@" + b.feeBasisPoints()).toList()));
    }
    EvidenceEvent placed = EvidenceEvent.link(
        draft.id(), 1, EvidenceType.ORDER_PLACED, at, details, EvidenceEvent.GENESIS_HASH);
    List<OrderUnit> units = new ArrayList<>();
    for (int i = 0; i < draft.quantity(); i++) {
      units.add(OrderUnit.pending(i));
    }
    Order order = new Order(draft.id(), draft.merchantId(), draft.skuId(), draft.unitPrice(),
        draft.feeBasisPoints(), draft.policy(), OrderState.AWAITING_PAYMENT, units, List.of(),
        at, null, null, null, null, null, at, 1, 1, placed.hash(), draft.backups());
    return new Transition(order, List.of(), List.of(placed), List.of(), false, OrderState.AWAITING_PAYMENT);
  }

  /**
   * Applies {@code event} at {@code now} (truncated to microseconds, as PostgreSQL stores time).
   * Never throws for an event that does not fit the order: that is a {@link Rejection}. An event
   * already applied gives a duplicate {@link Transition}.
   */
  public Outcome on(OrderEvent event, Instant now) {
    Objects.requireNonNull(event, "event must not be null");
    Objects.requireNonNull(now, "now must not be null");
    return OrderMachine.apply(this, event, now.truncatedTo(ChronoUnit.MICROS));
  }

  /**
   * Applies {@code events} in turn at {@code now}, as one change: the first {@link Rejection} (and
   * then nothing of the others counts), or one {@link Transition} from this order to the last one
   * reached, carrying the postings, evidence and effects of every event that changed it, in order. It
   * is a duplicate when no event changed anything (also for no events). Events that arrive together
   * (a delivery and the duplicates it revealed, or the verdicts of checks made as it arrived) are stored
   * as this one change. An effect a later event of the change already settled is left out: a check asked
   * for a key the same change judged, replaced or found duplicate would only find nothing to do.
   */
  public Outcome onAll(List<OrderEvent> events, Instant now) {
    Objects.requireNonNull(events, "events must not be null");
    Check.range("events at once", events.size(), 0, EVENTS_AT_ONCE_MAX);
    Order current = this;
    List<Posting> postings = new ArrayList<>();
    List<EvidenceEvent> evidence = new ArrayList<>();
    List<Effect> effects = new ArrayList<>();
    for (OrderEvent event : events) {
      Outcome outcome = current.on(event, now);
      if (outcome instanceof Rejection rejection) {
        return rejection;
      }
      Transition transition = (Transition) outcome;
      if (!transition.duplicate()) {
        current = transition.order();
        postings.addAll(transition.postings());
        evidence.addAll(transition.evidence());
        effects.addAll(transition.effects());
      }
    }
    Order reached = current;
    effects.removeIf(effect -> reached.settled(effect));
    return new Transition(current, postings, evidence, effects, current == this, state);
  }

  /** True when this order no longer needs {@code effect}: a check of a key that was since judged or replaced. */
  private boolean settled(Effect effect) {
    if (!(effect instanceof Effect.ValidateUnit check)) {
      return false;
    }
    OrderUnit unit = units.get(check.unit());
    return !check.keyRef().equals(unit.keyRef()) || !unit.state().awaitsVerdict() || unit.checks() >= check.attempt();
  }

  /** Number of units. */
  public int quantity() {
    return units.size();
  }

  /** What the buyer must pay: {@code unitPrice × quantity}. */
  public Money total() {
    return unitPrice.times(units.size());
  }

  /** True when the order reached a terminal state. */
  public boolean isTerminal() {
    return state.isTerminal();
  }

  /** The payment that funded the order, if any. */
  public Optional<String> fundingPaymentId() {
    return payments.stream().filter(p -> p.use() == PaymentUse.FUNDED).map(PaymentRecord::paymentId).findFirst();
  }

  /**
   * What the escrow holds for this order: the price of every unit not yet released or refunded while
   * the order is funded, else zero.
   */
  public Money escrowBalance() {
    return fundedAt != null ? unitPrice.times(heldUnits().size()) : Money.zero(unitPrice.currency());
  }

  /** The indices of the units whose price is still in escrow (neither released nor refunded), in order. */
  public List<Integer> heldUnits() {
    List<Integer> held = new ArrayList<>();
    for (OrderUnit unit : units) {
      if (!unit.state().isSettled()) {
        held.add(unit.index());
      }
    }
    return held;
  }

  /** The payment deadline. */
  public Instant payBy() {
    return placedAt.plus(policy.payWithin());
  }

  /** The deadline for the first keys, or null before funding. */
  public Instant deliverBy() {
    return fundedAt == null ? null : fundedAt.plus(policy.deliverWithin());
  }

  /** When the resupply phase ends, or null if no replacement was ever requested. */
  public Instant resupplyBy() {
    return resupplyStartedAt == null ? null : resupplyStartedAt.plus(policy.resupplyWithin());
  }

  /**
   * When the resupply of {@code unit} at its current source ends: at a backup source, its own window from the
   * switch; at the order's merchant, {@link #resupplyBy()}.
   */
  public Instant resupplyBy(OrderUnit unit) {
    return unit.source() > 0 ? unit.sourceSince().plus(policy.resupplyWithin()) : resupplyBy();
  }

  /** The merchant that supplies from {@code source} (0: the order's merchant). */
  public String merchantOf(int source) {
    return source == 0 ? merchantId : backups.get(source - 1).merchantId();
  }

  /** The fee in basis points taken from what the merchant of {@code source} is paid. */
  public int feeBasisPointsOf(int source) {
    return source == 0 ? feeBasisPoints : backups.get(source - 1).feeBasisPoints();
  }

  /** {@code <merchant>/<sku>} of {@code source}. */
  public String sourceLabel(int source) {
    return source == 0 ? merchantId + "/" + skuId : backups.get(source - 1).label();
  }

  /** When an unrevealed ready order is released, or null if it was never ready. */
  public Instant holdUntil() {
    return readyAt == null ? null : readyAt.plus(policy.maxHold());
  }

  /** When the inspection window closes, or null before the reveal. */
  public Instant inspectionEndsAt() {
    return revealedAt == null ? null : revealedAt.plus(policy.inspectionWindow());
  }

  /** When a unit's current key must have a definite verdict, or null if it holds no key. */
  public Instant validateBy(OrderUnit unit) {
    return unit.deliveredAt() == null ? null : unit.deliveredAt().plus(policy.validateWithin());
  }

  /** Replacements requested so far, over all units. */
  public int resupplyAttemptsUsed() {
    return units.stream().mapToInt(OrderUnit::replacements).sum();
  }

  /**
   * The earliest deadline that applies in the current state — when the sweeper must send
   * {@link OrderEvent.DeadlineReached} — or null when none does: terminal states, and
   * {@link OrderState#DISPUTED}, which waits for the arbiter.
   */
  public Instant nextActionAt() {
    switch (state) {
      case AWAITING_PAYMENT:
        return payBy();
      case FUNDED:
      case VALIDATING:
      case RESUPPLYING:
        // Each held unit waits on the deadline of the party it waits for.
        Instant next = null;
        for (OrderUnit unit : units) {
          if (unit.state().isSettled()) {
            continue;
          }
          if (unit.awaitsFirstDelivery()) {
            next = earliest(next, deliverBy());
          } else if (unit.state().awaitsVerdict()) {
            next = earliest(next, validateBy(unit));
          } else if (unit.awaitsReplacement()) {
            next = earliest(next, resupplyBy(unit));
          }
        }
        return next;
      case READY:
        return holdUntil();
      case INSPECTION:
        return inspectionEndsAt();
      default:
        return null;
    }
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null || b.isBefore(a) ? b : a;
  }

  /**
   * The references of the keys the buyer may see now: only after the reveal, and only keys checked
   * valid (and since released). Everything else stays sealed.
   */
  public List<String> keyRefsVisibleToBuyer() {
    if (revealedAt == null) {
      return List.of();
    }
    List<String> visible = new ArrayList<>();
    for (OrderUnit unit : units) {
      if (unit.state() == UnitState.VALID || unit.state() == UnitState.RELEASED) {
        visible.add(unit.keyRef());
      }
    }
    return visible;
  }

  /**
   * True when a payment of {@code amount}, paid at {@code paidAt}, is late and would fulfil this order provided
   * the gateway can reserve stock for it again: ask this before reserving, to pass
   * {@link OrderEvent.PaymentReceived#stockStillReservable()}. A payment is late when it was made at or after
   * {@link #payBy()} (when the order expires), whether or not the expiry was recorded yet; the SKU's late-payment policy decides then.
   * A payment made in time whose notice came after the expiry (the provider or the gateway was slow) was not
   * the buyer's fault: it is fulfilled whenever stock can be reserved again, whatever the policy.
   */
  public boolean wouldFulfilLatePayment(Money amount, Instant paidAt) {
    if (!amount.equals(total())) {
      return false;
    }
    boolean paidInTime = paidAt.isBefore(payBy());
    boolean fulfilIfStock = policy.latePaymentPolicy() == LatePaymentPolicy.FULFIL_IF_STOCK;
    return switch (state) {
      case AWAITING_PAYMENT -> !paidInTime && fulfilIfStock;
      case EXPIRED -> fulfilIfStock || paidInTime;
      default -> false;
    };
  }

  /** Whether a payment made at {@code paidAt} is judged late by this order (see {@link #wouldFulfilLatePayment}). */
  public boolean isLatePayment(Instant paidAt) {
    return state == OrderState.EXPIRED || (state == OrderState.AWAITING_PAYMENT && !paidAt.isBefore(payBy()));
  }
}
