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

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every legal move of an order between two different states, listed once. A {@link Transition}
 * that changes the state took exactly one of these; {@link #between} rejects any other move.
 */
public enum OrderArrow implements Coded {
  /** The right amount was paid in time. */
  AWAITING_PAYMENT_TO_FUNDED(AWAITING_PAYMENT, FUNDED),
  /** {@link Order#payBy()} passed without payment. */
  AWAITING_PAYMENT_TO_EXPIRED(AWAITING_PAYMENT, EXPIRED),
  /** A late payment, fulfilled under {@link LatePaymentPolicy#FULFIL_IF_STOCK} with stock still reservable. */
  EXPIRED_TO_FUNDED(EXPIRED, FUNDED),
  /** The first keys arrived. */
  FUNDED_TO_VALIDATING(FUNDED, VALIDATING),
  /** {@link Order#deliverBy()} passed without keys; replacements requested. */
  FUNDED_TO_RESUPPLYING(FUNDED, RESUPPLYING),
  /** The buyer cancelled, or no key came and no resupply is allowed. */
  FUNDED_TO_REFUNDED(FUNDED, REFUNDED),
  /**
   * The last verdicts arrived and every unit still held is valid — also when units that could not be
   * fulfilled were refunded just now: their valid siblings stay held, sealed.
   */
  VALIDATING_TO_READY(VALIDATING, READY),
  /**
   * Attempts or the resupply window ran out with some units valid: the others were refunded, the
   * valid ones stay held, sealed, for the buyer to reveal.
   */
  RESUPPLYING_TO_READY(RESUPPLYING, READY),
  /** A key was bad (or unchecked at its deadline) and a replacement was requested. */
  VALIDATING_TO_RESUPPLYING(VALIDATING, RESUPPLYING),
  /** The buyer cancelled, or a unit could not be re-supplied and no unit was valid. */
  VALIDATING_TO_REFUNDED(VALIDATING, REFUNDED),
  /** Every outstanding replacement key arrived. */
  RESUPPLYING_TO_VALIDATING(RESUPPLYING, VALIDATING),
  /** The buyer cancelled, or attempts or the resupply window ran out with no valid unit. */
  RESUPPLYING_TO_REFUNDED(RESUPPLYING, REFUNDED),
  /** The buyer revealed the keys; the inspection window starts. */
  READY_TO_INSPECTION(READY, INSPECTION),
  /** The buyer cancelled before the reveal, or a sealed key turned out to be sold elsewhere with no resupply left. */
  READY_TO_REFUNDED(READY, REFUNDED),
  /** {@link Order#holdUntil()} passed without a reveal. */
  READY_TO_RELEASED(READY, RELEASED),
  /** A sealed key turned out to be sold elsewhere too; a replacement was requested. */
  READY_TO_RESUPPLYING(READY, RESUPPLYING),
  /** {@link Order#holdUntil()} passed without a reveal, after some units had been refunded. */
  READY_TO_PARTIALLY_REFUNDED(READY, PARTIALLY_REFUNDED),
  /** The buyer confirmed, or the inspection window closed. */
  INSPECTION_TO_RELEASED(INSPECTION, RELEASED),
  /** The buyer confirmed, or the inspection window closed, after some units had been refunded. */
  INSPECTION_TO_PARTIALLY_REFUNDED(INSPECTION, PARTIALLY_REFUNDED),
  /** The buyer disputed within the inspection window. */
  INSPECTION_TO_DISPUTED(INSPECTION, DISPUTED),
  /** The arbiter released every unit. */
  DISPUTED_TO_RELEASED(DISPUTED, RELEASED),
  /** The arbiter refunded every unit. */
  DISPUTED_TO_REFUNDED(DISPUTED, REFUNDED),
  /** The arbiter released some units and refunded the others. */
  DISPUTED_TO_PARTIALLY_REFUNDED(DISPUTED, PARTIALLY_REFUNDED);

  private static final CodeLookup<OrderArrow> CODES = CodeLookup.of(OrderArrow.class, "order arrow");
  private static final Map<OrderState, Map<OrderState, OrderArrow>> BY_STATES = index();

  private final OrderState from;
  private final OrderState to;

  OrderArrow(OrderState from, OrderState to) {
    this.from = from;
    this.to = to;
  }

  private static Map<OrderState, Map<OrderState, OrderArrow>> index() {
    Map<OrderState, Map<OrderState, OrderArrow>> index = new EnumMap<>(OrderState.class);
    for (OrderArrow arrow : values()) {
      index.computeIfAbsent(arrow.from, s -> new EnumMap<>(OrderState.class)).put(arrow.to, arrow);
    }
    return index;
  }

  /** The state the arrow leaves. */
  public OrderState from() {
    return from;
  }

  /** The state the arrow reaches. */
  public OrderState to() {
    return to;
  }

  /** {@code "<from>_to_<to>"} in state codes, e.g. {@code "funded_to_validating"}. */
  @Override
  public String code() {
    return from.code() + "_to_" + to.code();
  }

  /** The arrow from {@code from} to {@code to}, if the move is legal. */
  public static Optional<OrderArrow> find(OrderState from, OrderState to) {
    return Optional.ofNullable(BY_STATES.getOrDefault(from, Map.of()).get(to));
  }

  /** The arrow from {@code from} to {@code to}, or an {@link IllegalStateTransitionException} naming both. */
  public static OrderArrow between(OrderState from, OrderState to) {
    return find(from, to).orElseThrow(() -> new IllegalStateTransitionException(from, to));
  }

  /** The arrow with this code, or an {@link IllegalArgumentException} naming the code. */
  public static OrderArrow fromCode(String code) {
    return CODES.find(code);
  }
}
