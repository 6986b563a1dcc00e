package io.keyhold.escrow;

import static io.keyhold.escrow.Flow.PRICE;
import static io.keyhold.escrow.Flow.fp;
import static io.keyhold.escrow.Flow.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.OrderEvent.ArbiterDecided;
import io.keyhold.escrow.OrderEvent.Cancel;
import io.keyhold.escrow.OrderEvent.Confirm;
import io.keyhold.escrow.OrderEvent.DeadlineReached;
import io.keyhold.escrow.OrderEvent.DisputeOpened;
import io.keyhold.escrow.OrderEvent.KeysDelivered;
import io.keyhold.escrow.OrderEvent.PaymentReceived;
import io.keyhold.escrow.OrderEvent.Reveal;
import io.keyhold.escrow.OrderEvent.UnitChecked;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per {@link RejectionCode}; a rejected event leaves the order as it was. */
class RejectionTest {

  @Test
  void rejectsKeysForAnUnpaidOrder() {
    Flow flow = Flow.place(1, policy().build());

    Rejection rejection = flow.reject(KeysDelivered.of(0, "k-0-1", fp(1)), RejectionCode.STATE_DOES_NOT_ALLOW);

    assertThat(rejection.detail()).contains("AWAITING_PAYMENT");
  }

  @Test
  void rejectsDeadlineBeforeItIsDue() {
    Flow flow = Flow.place(1, policy().build()).advance(Duration.ofMinutes(14));

    Rejection rejection = flow.reject(new DeadlineReached(), RejectionCode.NOT_DUE);

    assertThat(rejection.detail()).contains(flow.order.payBy().toString());
  }

  @Test
  void rejectsDeadlineForAnOrderWithoutOne() {
    Flow flow = OrderLifeTest.disputed(1).advance(Duration.ofDays(400));

    flow.reject(new DeadlineReached(), RejectionCode.NOT_DUE);
  }

  @Test
  void rejectsEventDatedBeforeTheLastChange() {
    Flow flow = Flow.place(1, policy().build()).advance(Duration.ofMinutes(5)).pay();

    flow.at(flow.now.minusMillis(1));
    Rejection rejection = flow.reject(new Cancel(), RejectionCode.CLOCK_BEHIND);

    assertThat(rejection.detail()).contains(flow.order.updatedAt().toString());
  }

  @Test
  void rejectsKnownPaymentIdWithAnotherAmount() {
    Flow flow = Flow.place(1, policy().build()).pay();

    Rejection rejection = flow.reject(
        new PaymentReceived("pay-1", Money.of(999, "EUR"), true), RejectionCode.PAYMENT_EXISTS_WITH_DIFFERENT_AMOUNT);

    assertThat(rejection.detail()).contains("pay-1", "EUR 10.00", "EUR 9.99");
  }

  @Test
  void rejectsPaymentsBeyondTheLimit() {
    Flow flow = Flow.place(1, policy().build());
    for (int i = 0; i < Order.PAYMENTS_MAX; i++) {
      flow.apply(new PaymentReceived("wrong-" + i, Money.of(1, "EUR"), true));
    }

    flow.reject(new PaymentReceived("one-too-many", PRICE, true), RejectionCode.TOO_MANY_PAYMENTS);

    assertThat(flow.order.state()).isEqualTo(OrderState.AWAITING_PAYMENT);
  }

  @Test
  void rejectsCancelOfAnUnpaidOrder() {
    Flow flow = Flow.place(1, policy().build());

    flow.reject(new Cancel(), RejectionCode.NOT_FUNDED);
  }

  @Test
  void rejectsVerdictForAUnitOutsideTheOrder() {
    Flow flow = Flow.place(2, policy().build()).pay().deliverAll();

    Rejection rejection = flow.reject(new UnitChecked(2, "k-2-1", KeyVerdict.VALID), RejectionCode.UNKNOWN_UNIT);

    assertThat(rejection.detail()).contains("0..1", "2");
  }

  @Test
  void rejectsASecondKeyForAUnitThatHoldsOne() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll();

    flow.reject(KeysDelivered.of(0, "k-other", fp(77)), RejectionCode.UNIT_HOLDS_OTHER_KEY);
  }

  @Test
  void rejectsTheSameKeyRefWithAnotherFingerprint() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll();

    flow.reject(KeysDelivered.of(0, "k-0-1", fp(77)), RejectionCode.UNIT_HOLDS_OTHER_KEY);
  }

  @Test
  void rejectsRevealBeforeKeysAreValid() {
    Flow flow = Flow.place(2, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.VALID);

    flow.reject(new Reveal(), RejectionCode.KEYS_NOT_READY);

    assertThat(flow.order.keyRefsVisibleToBuyer()).isEmpty();
  }

  @Test
  void rejectsConfirmBeforeReveal() {
    Flow flow = Flow.place(1, policy().build()).ready();

    flow.reject(new Confirm(), RejectionCode.NOT_REVEALED);
  }

  @Test
  void rejectsCancelAfterReveal() {
    Flow flow = Flow.place(1, policy().build()).ready().reveal();

    flow.reject(new Cancel(), RejectionCode.ALREADY_REVEALED);
  }

  @Test
  void rejectsDisputeAfterTheInspectionWindow() {
    Flow flow = Flow.place(1, policy().build()).ready().reveal();
    flow.at(flow.order.inspectionEndsAt());

    flow.reject(new DisputeOpened(DisputeReason.KEY_INVALID, "late"), RejectionCode.INSPECTION_WINDOW_CLOSED);
  }

  @Test
  void rejectsASecondDifferentDispute() {
    Flow flow = OrderLifeTest.disputed(1);

    flow.reject(new DisputeOpened(DisputeReason.OTHER, "changed my mind"), RejectionCode.DISPUTE_ALREADY_OPEN);
  }

  @Test
  void rejectsADecisionThatMissesAUnit() {
    Flow flow = OrderLifeTest.disputed(2);

    Rejection rejection = flow.reject(new ArbiterDecided(Map.of(0, Award.REFUND)), RejectionCode.AWARDS_DO_NOT_MATCH_UNITS);

    assertThat(rejection.detail()).contains("[0, 1]");
    flow.reject(new ArbiterDecided(Map.of(0, Award.REFUND, 2, Award.REFUND)), RejectionCode.AWARDS_DO_NOT_MATCH_UNITS);
  }

  @Test
  void rejectsADuplicateKeyFindingAfterReveal() {
    Flow flow = Flow.place(1, policy().build()).ready().reveal();

    flow.reject(new OrderEvent.DuplicateKeyFound(0, "k-0-1"), RejectionCode.ALREADY_REVEALED);
  }
}
