package io.keyhold.escrow;

import static io.keyhold.escrow.OrderMachine.details;
import static io.keyhold.escrow.OrderState.AWAITING_PAYMENT;
import static io.keyhold.escrow.OrderState.DISPUTED;
import static io.keyhold.escrow.OrderState.INSPECTION;
import static io.keyhold.escrow.OrderState.PARTIALLY_REFUNDED;
import static io.keyhold.escrow.OrderState.READY;
import static io.keyhold.escrow.OrderState.REFUNDED;
import static io.keyhold.escrow.OrderState.RELEASED;

import io.keyhold.escrow.OrderEvent.ArbiterDecided;
import io.keyhold.escrow.OrderEvent.DisputeOpened;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What the buyer does — reveal the keys, confirm, cancel before the reveal, open a dispute within the
 * inspection window — and the arbiter's decision on a dispute, unit by unit.
 */
final class BuyerAndArbiterRules {

  private BuyerAndArbiterRules() {}

  static Outcome onReveal(OrderMachine order) {
    if (order.revealedAt != null) {
      return order.duplicate();
    }
    OrderState state = order.state;
    boolean anyReleased = Arrays.stream(order.units).anyMatch(u -> u.state() == UnitState.RELEASED);
    if (state == READY || ((state == RELEASED || state == PARTIALLY_REFUNDED) && anyReleased)) {
      order.revealedAt = order.now;
      if (state == READY) {
        order.state = INSPECTION;
      }
      order.record(EvidenceType.KEYS_REVEALED, details("units", indices(order, u -> u.state() == UnitState.VALID
          || u.state() == UnitState.RELEASED)));
      return order.finish();
    }
    if (order.isFulfilling() || state == AWAITING_PAYMENT) {
      return keysNotReady(order);
    }
    return order.notAllowed("a reveal");
  }

  static Outcome onConfirm(OrderMachine order) {
    OrderState state = order.state;
    if (state == INSPECTION) {
      Instant endsAt = order.before.inspectionEndsAt();
      if (!order.now.isBefore(endsAt)) {
        // The window the buyer was shown is over: the sweeper releases the keys for its own reason.
        return order.reject(RejectionCode.INSPECTION_WINDOW_CLOSED, "the inspection window of order "
            + order.before.id() + " closed at " + endsAt);
      }
      Settlement.settle(order, unit -> Award.RELEASE, ReleaseReason.CONFIRMED, RefundReason.NOT_FULFILLED,
          "confirmed");
      return order.finish();
    }
    if ((state == RELEASED || state == PARTIALLY_REFUNDED) && order.revealedAt != null && order.dispute == null) {
      return order.duplicate();
    }
    if (state == READY) {
      return order.reject(RejectionCode.NOT_REVEALED, "the buyer must reveal the keys of order "
          + order.before.id() + " before confirming");
    }
    if (order.isFulfilling() || state == AWAITING_PAYMENT) {
      return keysNotReady(order);
    }
    return order.notAllowed("a confirmation");
  }

  static Outcome onCancel(OrderMachine order) {
    OrderState state = order.state;
    if (order.isFulfilling() || state == READY) {
      order.record(EvidenceType.ORDER_CANCELLED, details("state", state.code()));
      Settlement.settle(order, unit -> Award.REFUND, ReleaseReason.PARTIAL_FULFILMENT, RefundReason.CANCELLED,
          "cancelled");
      return order.finish();
    }
    if (state == REFUNDED) {
      return order.duplicate();
    }
    if (state == INSPECTION || state == DISPUTED) {
      return order.reject(RejectionCode.ALREADY_REVEALED, "order " + order.before.id()
          + " cannot be cancelled: the keys were revealed at " + order.revealedAt);
    }
    if (state == AWAITING_PAYMENT) {
      return order.reject(RejectionCode.NOT_FUNDED, "order " + order.before.id()
          + " was never paid; it expires at " + order.before.payBy());
    }
    return order.notAllowed("a cancellation");
  }

  static Outcome onDisputeOpened(OrderMachine order, DisputeOpened opened) {
    Order before = order.before;
    Dispute dispute = order.dispute;
    if (dispute != null) {
      return dispute.reason() == opened.reason() && dispute.text().equals(opened.text())
          ? order.duplicate()
          : order.reject(RejectionCode.DISPUTE_ALREADY_OPEN, "order " + before.id() + " already has a dispute ("
              + dispute.reason().code() + ") opened at " + dispute.openedAt());
    }
    OrderState state = order.state;
    if (state == INSPECTION) {
      Instant endsAt = before.inspectionEndsAt();
      if (!order.now.isBefore(endsAt)) {
        return order.reject(RejectionCode.INSPECTION_WINDOW_CLOSED, "the inspection window of order "
            + before.id() + " closed at " + endsAt);
      }
      order.dispute = Dispute.open(opened.reason(), opened.text(), order.now);
      order.state = DISPUTED;
      order.record(EvidenceType.DISPUTE_OPENED, details("reason", opened.reason().code(),
          "text_sha256", sha256Hex(opened.text()), "text_length", Integer.toString(opened.text().length())));
      return order.finish();
    }
    if (order.revealedAt != null) {
      return order.reject(RejectionCode.INSPECTION_WINDOW_CLOSED, "the inspection window of order "
          + before.id() + " closed at " + before.inspectionEndsAt() + " (state " + state + ")");
    }
    if (state == READY) {
      return order.reject(RejectionCode.NOT_REVEALED, "the buyer must reveal the keys of order " + before.id()
          + " before disputing; before the reveal a cancel refunds in full");
    }
    if (order.isFulfilling() || state == AWAITING_PAYMENT) {
      return keysNotReady(order);
    }
    return order.notAllowed("a dispute");
  }

  static Outcome onArbiterDecided(OrderMachine order, ArbiterDecided decision) {
    Dispute dispute = order.dispute;
    if (order.state != DISPUTED) {
      if (dispute != null && dispute.isDecided() && dispute.awards().equals(decision.awards())) {
        return order.duplicate();
      }
      return order.notAllowed("an arbiter decision");
    }
    List<Integer> held = order.before.heldUnits();
    if (!decision.awards().keySet().equals(new TreeSet<>(held))) {
      return order.reject(RejectionCode.AWARDS_DO_NOT_MATCH_UNITS, "order " + order.before.id() + " holds units "
          + held + " in escrow (the others were refunded already), but the awards name units "
          + decision.awards().keySet());
    }
    order.dispute = dispute.decided(decision.awards(), order.now);
    order.record(EvidenceType.DISPUTE_DECIDED, details(
        "release_units", awarded(decision, Award.RELEASE), "refund_units", awarded(decision, Award.REFUND)));
    Settlement.settle(order, unit -> decision.awards().get(unit.index()), ReleaseReason.ARBITER,
        RefundReason.ARBITER, "arbiter");
    return order.finish();
  }

  private static Rejection keysNotReady(OrderMachine order) {
    return order.reject(RejectionCode.KEYS_NOT_READY, "the keys of order " + order.before.id()
        + " are not all checked valid yet (state " + order.state + ")");
  }

  private static String awarded(ArbiterDecided decision, Award award) {
    return decision.awards().entrySet().stream().filter(e -> e.getValue() == award)
        .map(e -> e.getKey().toString()).collect(Collectors.joining(","));
  }

  private static String indices(OrderMachine order, Predicate<OrderUnit> which) {
    return OrderMachine.join(
        Arrays.stream(order.units).filter(which).map(OrderUnit::index).collect(Collectors.toList()));
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
