package io.keyhold.escrow;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The order accepted the event. The gateway stores, in one database transaction: the new order row
 * (guarded by the previous {@link Order#version()}), the postings as one ledger transaction, the
 * evidence events and the effects as outbox rows; only then does it run the effects.
 *
 * <p>A duplicate (the event was already applied: the same payment notice again, a stale verdict, a
 * repeated reveal...) has {@code duplicate = true}, the unchanged order and empty lists: there is
 * nothing to store and nothing to run; just acknowledge.
 *
 * @param order the order after the event (the same order for a duplicate)
 * @param postings ledger postings; they sum to zero in every currency
 * @param evidence new evidence events, continuing the order's chain
 * @param effects work to run afterwards, each with a deterministic idempotency key
 * @param duplicate true when the event had already been applied
 * @param from the order's state before the event
 */
public record Transition(
    Order order, List<Posting> postings, List<EvidenceEvent> evidence, List<Effect> effects,
    boolean duplicate, OrderState from) implements Outcome {

  /** Checks the postings balance and that a duplicate carries nothing. */
  public Transition {
    Objects.requireNonNull(order, "order must not be null");
    Objects.requireNonNull(from, "from must not be null");
    postings = List.copyOf(postings);
    evidence = List.copyOf(evidence);
    effects = List.copyOf(effects);
    if (!Posting.isBalanced(postings)) {
      throw new IllegalArgumentException("postings must sum to zero per currency, but sum to "
          + Posting.sumByCurrency(postings));
    }
    if (duplicate && (!postings.isEmpty() || !evidence.isEmpty() || !effects.isEmpty())) {
      throw new IllegalArgumentException("a duplicate must carry no postings, evidence or effects");
    }
  }

  /** The answer to an event that was already applied. */
  static Transition duplicateOf(Order order) {
    return new Transition(order, List.of(), List.of(), List.of(), true, order.state());
  }

  /** The arrow taken, or empty when the state did not change. */
  public Optional<OrderArrow> arrow() {
    return from == order.state() ? Optional.empty() : Optional.of(OrderArrow.between(from, order.state()));
  }
}
