package io.keyhold.escrow;

import static io.keyhold.escrow.OrderMachine.details;
import static io.keyhold.escrow.OrderState.AWAITING_PAYMENT;
import static io.keyhold.escrow.OrderState.EXPIRED;
import static io.keyhold.escrow.OrderState.FUNDED;

import io.keyhold.escrow.OrderEvent.PaymentReceived;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A payment notice: the right amount paid by the payment deadline funds the order. A late one (paid after
 * the deadline, or announced after the expiry) funds it only when the SKU's policy (or a payment made in
 * time) allows and stock could be reserved again; any other payment is refunded at once, and the same
 * payment id twice is a duplicate or, with another amount, a rejection. Lateness is judged on when the
 * provider says the buyer paid, not on when the notice was applied.
 */
final class PaymentRules {

  private PaymentRules() {}

  static Outcome onPayment(OrderMachine order, PaymentReceived payment) {
    for (PaymentRecord known : order.payments) {
      if (known.paymentId().equals(payment.paymentId())) {
        return known.amount().equals(payment.amount())
            ? order.duplicate()
            : order.reject(RejectionCode.PAYMENT_EXISTS_WITH_DIFFERENT_AMOUNT, "payment " + payment.paymentId()
                + " exists with amount " + known.amount() + ", but this notice says " + payment.amount());
      }
    }
    if (order.payments.size() >= Order.PAYMENTS_MAX) {
      return order.reject(RejectionCode.TOO_MANY_PAYMENTS, "order " + order.before.id() + " already recorded "
          + order.payments.size() + " payments; payment " + payment.paymentId() + " needs an operator");
    }
    boolean rightAmount = payment.amount().equals(order.before.total());
    Instant paidAt = payment.paidAt(order.now);
    if (!rightAmount && (order.state == AWAITING_PAYMENT || order.state == EXPIRED)) {
      refundAtOnce(order, payment, RefundReason.WRONG_AMOUNT);
    } else if (order.state == AWAITING_PAYMENT && !order.before.isLatePayment(paidAt)) {
      fund(order, payment);
    } else if (order.state == AWAITING_PAYMENT || order.state == EXPIRED) {
      // Late: paid after pay_by (expiry recorded or not), or paid in time but announced after the expiry.
      if (order.before.wouldFulfilLatePayment(payment.amount(), paidAt) && payment.stockStillReservable()) {
        fund(order, payment);
      } else {
        refundAtOnce(order, payment, RefundReason.LATE_PAYMENT);
      }
    } else {
      refundAtOnce(order, payment, RefundReason.ALREADY_FUNDED);
    }
    return order.finish();
  }

  private static void fund(OrderMachine order, PaymentReceived payment) {
    order.payments.add(new PaymentRecord(payment.paymentId(), payment.amount(), PaymentUse.FUNDED, order.now));
    order.fundedAt = order.now;
    order.post(Accounts.PAYMENTS_IN, payment.amount().negate());
    order.post(Accounts.escrow(order.before.id()), payment.amount());
    order.state = FUNDED;
    order.record(EvidenceType.ORDER_FUNDED, details(
        "payment_id", payment.paymentId(), "amount", payment.amount().toCanonicalString()));
    List<Integer> all = new ArrayList<>();
    for (OrderUnit unit : order.units) {
      all.add(unit.index());
    }
    order.effect(new Effect.RequestDelivery(order.key(EffectKind.REQUEST_DELIVERY), order.before.id(), all));
  }

  private static void refundAtOnce(OrderMachine order, PaymentReceived payment, RefundReason reason) {
    order.payments.add(new PaymentRecord(payment.paymentId(), payment.amount(), PaymentUse.REFUNDED, order.now));
    order.post(Accounts.PAYMENTS_IN, payment.amount().negate());
    order.post(Accounts.REFUNDS_OUT, payment.amount());
    order.record(EvidenceType.PAYMENT_REFUNDED, details("payment_id", payment.paymentId(),
        "amount", payment.amount().toCanonicalString(), "reason", reason.code()));
    order.effect(new Effect.RefundPayment(
        order.key(EffectKind.REFUND_PAYMENT), order.before.id(), payment.paymentId(), payment.amount(), reason));
  }
}
