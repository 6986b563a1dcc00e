package io.keyhold.escrow;

import static io.keyhold.escrow.Flow.PRICE;
import static io.keyhold.escrow.Flow.fp;
import static io.keyhold.escrow.Flow.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.escrow.Effect.RefundPayment;
import io.keyhold.escrow.Effect.ReleaseFunds;
import io.keyhold.escrow.Effect.RequestReplacement;
import io.keyhold.escrow.Effect.ReturnKeysToShop;
import io.keyhold.escrow.Effect.ValidateUnit;
import io.keyhold.escrow.OrderEvent.Cancel;
import io.keyhold.escrow.OrderEvent.DeadlineReached;
import io.keyhold.escrow.OrderEvent.Confirm;
import io.keyhold.escrow.OrderEvent.DisputeOpened;
import io.keyhold.escrow.OrderEvent.DuplicateKeyFound;
import io.keyhold.escrow.OrderEvent.KeysDelivered;
import io.keyhold.escrow.OrderEvent.PaymentReceived;
import io.keyhold.escrow.OrderEvent.Reveal;
import io.keyhold.escrow.OrderEvent.UnitChecked;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of docs/order-life.md that are not a change of state: payments, verdicts, duplicates, fees. */
class OrderRulesTest {

  @Test
  void treatsARepeatedPaymentNoticeAsADuplicate() {
    Flow flow = Flow.place(1, policy().build()).pay();

    flow.duplicate(new PaymentReceived("pay-1", PRICE, true));
    flow.advance(Duration.ofMinutes(1)).deliverAll();
    flow.duplicate(new PaymentReceived("pay-1", PRICE, false));
  }

  @Test
  void refundsASecondDistinctPaymentAutomatically() {
    Flow flow = Flow.place(1, policy().build()).pay();

    flow.apply(new PaymentReceived("pay-2", PRICE, true));

    assertThat(flow.arrow()).isEmpty();
    assertThat(flow.order.fundingPaymentId()).contains("pay-1");
    assertThat(flow.posted(Accounts.PAYMENTS_IN)).isEqualTo(PRICE.negate());
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
    assertThat(flow.posted(Accounts.escrow(Flow.ORDER_ID))).isEqualTo(Money.zero("EUR"));
    assertThat(flow.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.paymentId()).isEqualTo("pay-2"))
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefundReason.ALREADY_FUNDED));
    flow.duplicate(new PaymentReceived("pay-2", PRICE, true));
  }

  @Test
  void refundsAWrongAmountAndLeavesTheOrderAwaitingPayment() {
    Flow flow = Flow.place(1, policy().build());

    flow.apply(new PaymentReceived("pay-short", Money.of(999, "EUR"), true));
    assertThat(flow.order.state()).isEqualTo(OrderState.AWAITING_PAYMENT);
    assertThat(flow.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefundReason.WRONG_AMOUNT));
    flow.apply(new PaymentReceived("pay-usd", Money.of(1000, "USD"), true));
    assertThat(flow.last.postings()).allSatisfy(p -> assertThat(p.amount().currency().getCurrencyCode()).isEqualTo("USD"));

    flow.pay();
    assertThat(flow.order.state()).isEqualTo(OrderState.FUNDED);
  }

  @Test
  void refundsALatePaymentWhenStockIsGoneOrThePolicySaysRefund() {
    Flow noStock = Flow.place(1, policy().build()).dueNow();
    noStock.apply(new PaymentReceived("late", PRICE, false));
    assertThat(noStock.order.state()).isEqualTo(OrderState.EXPIRED);
    assertThat(noStock.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefundReason.LATE_PAYMENT));

    Flow refundPolicy = Flow.place(1, policy().latePaymentPolicy(LatePaymentPolicy.REFUND).build()).dueNow();
    assertThat(refundPolicy.order.wouldFulfilLatePayment(PRICE, refundPolicy.order.payBy().plusSeconds(1))).isFalse();
    refundPolicy.apply(new PaymentReceived("late", PRICE, true));
    assertThat(refundPolicy.order.state()).isEqualTo(OrderState.EXPIRED);
    assertThat(refundPolicy.order.escrowBalance()).isEqualTo(Money.zero("EUR"));
  }

  @Test
  void fundsAPaymentMadeInTimeWhoseNoticeCameAfterTheExpiry() {
    Flow flow = Flow.place(1, policy().latePaymentPolicy(LatePaymentPolicy.REFUND).build()).dueNow();
    Instant paidAt = flow.order.payBy().minusSeconds(2);
    assertThat(flow.order.state()).isEqualTo(OrderState.EXPIRED);
    assertThat(flow.order.wouldFulfilLatePayment(PRICE, paidAt)).as("the expiry was not the buyer's doing").isTrue();

    flow.apply(new PaymentReceived("in-time", PRICE, true, paidAt));

    assertThat(flow.order.state()).isEqualTo(OrderState.FUNDED);
    assertThat(flow.effects(RefundPayment.class)).isEmpty();
  }

  @Test
  void fundsAPaymentMadeInTimeThatIsAppliedAfterPayBy() {
    Flow flow = Flow.place(1, policy().build());
    Instant paidAt = flow.order.payBy().minusSeconds(1);
    flow.at(flow.order.payBy().plusSeconds(5));

    flow.apply(new PaymentReceived("in-time", PRICE, false, paidAt));

    assertThat(flow.order.state()).isEqualTo(OrderState.FUNDED);
  }

  @Test
  void judgesAPaymentMadeAfterPayByLateBeforeTheExpiryIsRecorded() {
    Flow noStock = Flow.place(1, policy().build());
    noStock.at(noStock.order.payBy().plusSeconds(5));

    noStock.apply(new PaymentReceived("late", PRICE, false, noStock.order.payBy().plusSeconds(3)));

    assertThat(noStock.order.state()).as("refunded at once; the sweeper records the expiry")
        .isEqualTo(OrderState.AWAITING_PAYMENT);
    assertThat(noStock.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefundReason.LATE_PAYMENT));
    assertThat(noStock.order.escrowBalance()).isEqualTo(Money.zero("EUR"));

    Flow withStock = Flow.place(1, policy().build());
    withStock.at(withStock.order.payBy().plusSeconds(5));
    Instant paidAt = withStock.order.payBy().plusSeconds(3);
    assertThat(withStock.order.wouldFulfilLatePayment(PRICE, paidAt)).isTrue();
    withStock.apply(new PaymentReceived("late", PRICE, true, paidAt));
    assertThat(withStock.order.state()).isEqualTo(OrderState.FUNDED);
  }

  @Test
  void refundsAPaymentForAnOrderAlreadyClosed() {
    Flow flow = Flow.place(1, policy().build()).pay();
    flow.apply(new Cancel());

    flow.apply(new PaymentReceived("pay-again", PRICE, true));

    assertThat(flow.order.state()).isEqualTo(OrderState.REFUNDED);
    assertThat(flow.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.paymentId()).isEqualTo("pay-again"));
  }

  @Test
  void retriesAnUnknownVerdictUntilTheValidationDeadline() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll();

    flow.verdict(0, KeyVerdict.UNKNOWN);

    assertThat(flow.arrow()).isEmpty();
    assertThat(flow.last.postings()).as("an unknown answer never moves money").isEmpty();
    assertThat(flow.effects(ValidateUnit.class)).singleElement()
        .satisfies(v -> assertThat(v.attempt()).isEqualTo(2));
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.order.validateBy(flow.order.units().get(0)));
    flow.verdict(0, KeyVerdict.VALID);
    assertThat(flow.order.state()).isEqualTo(OrderState.READY);
  }

  @Test
  void treatsAKeyStillUnknownAtTheValidationDeadlineAsInvalid() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.UNKNOWN);

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.VALIDATING_TO_RESUPPLYING);
    assertThat(flow.effects(RequestReplacement.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(ReplacementReason.VERDICT_UNKNOWN));
    assertThat(flow.last.evidence()).extracting(EvidenceEvent::type)
        .containsExactly(EvidenceType.UNIT_VALIDATION_TIMED_OUT, EvidenceType.UNIT_REPLACEMENT_REQUESTED);
    assertThat(flow.effects(ReturnKeysToShop.class)).as("the key nobody judged nor saw goes back to the shop")
        .singleElement().satisfies(r -> assertThat(r.keyRefs()).containsExactly("k-0-1"));
  }

  @Test
  void settlesAtTheValidationDeadlineWhenThePolicySaysRefund() {
    Flow flow = Flow.place(2, policy().unknownVerdictPolicy(UnknownVerdictPolicy.REFUND).build())
        .pay().deliverAll().verdict(0, KeyVerdict.VALID);

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.VALIDATING_TO_READY);
    assertThat(flow.order.units()).extracting(OrderUnit::state).containsExactly(UnitState.VALID, UnitState.REFUNDED);
    assertThat(flow.effects(ReturnKeysToShop.class)).as("the unchecked key goes back").singleElement()
        .satisfies(r -> assertThat(r.keyRefs()).containsExactly("k-1-1"));
  }

  @Test
  void keepsCheckingASiblingsKeyWhenAnotherUnitRunsOutOfAttempts() {
    Flow flow = Flow.place(2, policy().maxResupplyAttempts(0).build()).pay().deliverAll();

    flow.verdict(1, KeyVerdict.INVALID);

    assertThat(flow.order.state()).isEqualTo(OrderState.VALIDATING);
    assertThat(flow.order.units()).extracting(OrderUnit::state).containsExactly(UnitState.DELIVERED, UnitState.REFUNDED);
    assertThat(flow.effects(ReturnKeysToShop.class)).as("a key found bad is not returned").isEmpty();
    flow.verdict(0, KeyVerdict.VALID);
    assertThat(flow.arrow()).contains(OrderArrow.VALIDATING_TO_READY);
  }

  @Test
  void judgesAReplacementOnItsOwnValidationDeadlineNotTheResupplyWindow() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.INVALID);
    Instant resupplyBy = flow.order.resupplyBy();
    flow.at(resupplyBy.minusSeconds(1)).deliver(0);

    assertThat(flow.order.nextActionAt()).isEqualTo(flow.order.validateBy(flow.order.units().get(0)))
        .isAfter(resupplyBy);
    flow.at(resupplyBy).reject(new DeadlineReached(), RejectionCode.NOT_DUE);
    flow.verdict(0, KeyVerdict.VALID);
    assertThat(flow.arrow()).contains(OrderArrow.VALIDATING_TO_READY);
  }

  @Test
  void ignoresAVerdictForAKeyThatWasReplaced() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.INVALID).deliver(0);

    flow.duplicate(new UnitChecked(0, "k-0-1", KeyVerdict.VALID));
    flow.duplicate(new DuplicateKeyFound(0, "k-0-1"));

    assertThat(flow.order.units().get(0).state()).isEqualTo(UnitState.DELIVERED);
  }

  @Test
  void ignoresASecondVerdictForAKeyAlreadyJudged() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.REDEEMED);

    flow.duplicate(new UnitChecked(0, "k-0-1", KeyVerdict.VALID));

    assertThat(flow.order.units().get(0).state()).isEqualTo(UnitState.REDEEMED);
  }

  @Test
  void recognisesRepeatedDeliveriesIncludingAStaleRepushOfABadKey() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll();
    flow.duplicate(KeysDelivered.of(0, "k-0-1", fp(1)));
    flow.verdict(0, KeyVerdict.INVALID);

    flow.duplicate(KeysDelivered.of(0, "k-0-1", fp(1)));

    assertThat(flow.order.state()).isEqualTo(OrderState.RESUPPLYING);
  }

  @Test
  void acceptsKeysArrivingAfterTheDeliveryDeadlineBeforeTheSweeper() {
    Flow flow = Flow.place(1, policy().build()).pay();
    flow.at(flow.order.deliverBy().plusSeconds(5));

    flow.deliverAll();

    assertThat(flow.order.state()).isEqualTo(OrderState.VALIDATING);
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.now.plus(Duration.ofMinutes(5)));
  }

  @Test
  void stopsRetryingUnknownVerdictsAtTheCheckLimit() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll();
    for (int i = 1; i < Order.CHECKS_PER_KEY_MAX; i++) {
      flow.verdict(0, KeyVerdict.UNKNOWN);
      assertThat(flow.effects(ValidateUnit.class)).hasSize(1);
    }

    flow.verdict(0, KeyVerdict.UNKNOWN);

    assertThat(flow.effects(ValidateUnit.class)).isEmpty();
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.order.validateBy(flow.order.units().get(0)));
    flow.duplicate(new UnitChecked(0, "k-0-1", KeyVerdict.UNKNOWN));
    flow.verdict(0, KeyVerdict.VALID);
    assertThat(flow.order.state()).isEqualTo(OrderState.READY);
  }

  @Test
  void showsKeysOnlyAfterTheRevealAndOnlyWhenValid() {
    Flow flow = Flow.place(2, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.VALID);
    assertThat(flow.order.keyRefsVisibleToBuyer()).isEmpty();
    flow.verdict(1, KeyVerdict.VALID);
    assertThat(flow.order.keyRefsVisibleToBuyer()).as("READY is sealed").isEmpty();

    flow.reveal();

    assertThat(flow.order.keyRefsVisibleToBuyer()).containsExactly("k-0-1", "k-1-1");
    flow.duplicate(new Reveal());
  }

  @Test
  void letsTheBuyerSeeKeysReleasedWithoutAReveal() {
    Flow flow = Flow.place(2, policy().maxResupplyAttempts(0).build()).pay().deliverAll()
        .verdict(0, KeyVerdict.VALID).verdict(1, KeyVerdict.INVALID).dueNow();
    assertThat(flow.order.state()).as("released at max_hold").isEqualTo(OrderState.PARTIALLY_REFUNDED);

    flow.reveal();

    assertThat(flow.arrow()).isEmpty();
    assertThat(flow.order.keyRefsVisibleToBuyer()).containsExactly("k-0-1");
    assertThat(flow.last.postings()).isEmpty();
  }

  @Test
  void treatsRepeatedConfirmCancelDisputeAndDecisionAsDuplicates() {
    Flow confirmed = Flow.place(1, policy().build()).ready().reveal();
    confirmed.apply(new Confirm());
    confirmed.duplicate(new Confirm());

    Flow cancelled = Flow.place(1, policy().build()).pay();
    cancelled.apply(new Cancel());
    cancelled.duplicate(new Cancel());

    Flow disputed = OrderLifeTest.disputed(1);
    disputed.duplicate(new DisputeOpened(DisputeReason.KEY_INVALID, "does not work"));
    OrderEvent.ArbiterDecided refundAll = OrderEvent.ArbiterDecided.wholeOrder(Award.REFUND, disputed.order);
    OrderEvent.ArbiterDecided releaseAll = OrderEvent.ArbiterDecided.wholeOrder(Award.RELEASE, disputed.order);
    disputed.apply(refundAll);
    disputed.duplicate(refundAll);
    disputed.duplicate(OrderEvent.ArbiterDecided.wholeOrder(Award.REFUND, disputed.order));
    disputed.reject(releaseAll, RejectionCode.STATE_DOES_NOT_ALLOW);
  }

  @Test
  void roundsTheFeeDownAndPaysTheMerchantTheRest() {
    Flow flow = Flow.place(3, policy().build(), 333).ready().reveal();

    flow.apply(new Confirm());

    ReleaseFunds release = flow.effects(ReleaseFunds.class).get(0);
    assertThat(release.gross()).isEqualTo(Money.of(3000, "EUR"));
    assertThat(release.fee()).as("3000 × 3.33 % = 99.9, rounded down").isEqualTo(Money.of(99, "EUR"));
    assertThat(release.net()).isEqualTo(Money.of(2901, "EUR"));
    assertThat(flow.posted(Accounts.merchantPayable(Flow.MERCHANT_ID))).isEqualTo(release.net());
    assertThat(flow.posted(Accounts.PLATFORM_FEES)).isEqualTo(release.fee());
  }

  @Test
  void givesTheSameTransitionAndIdempotencyKeysForTheSameEvent() {
    Flow flow = Flow.place(2, policy().build()).pay().deliverAll();

    Outcome first = flow.send(new UnitChecked(1, "k-1-1", KeyVerdict.INVALID));
    Outcome again = flow.send(new UnitChecked(1, "k-1-1", KeyVerdict.INVALID));

    assertThat(again).isEqualTo(first);
    List<Effect> effects = ((Transition) first).effects();
    assertThat(effects).extracting(Effect::idempotencyKey).doesNotHaveDuplicates()
        .allSatisfy(k -> assertThat(k).startsWith("o-1/" + (flow.order.version() + 1) + "/"));
  }

  @Test
  void truncatesTimeToMicrosecondsLikeTheDatabase() {
    Flow flow = Flow.place(1, policy().build());
    flow.at(Flow.T0.plusNanos(1_234_567));

    flow.pay();

    assertThat(flow.order.fundedAt()).isEqualTo(Flow.T0.plusNanos(1_234_000));
  }

  @Test
  void keepsNoDeadlineOnlyInMemory() {
    Flow flow = Flow.place(1, policy().build());
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.order.payBy());
    flow.pay();
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.order.deliverBy());

    Order restored = new Order(flow.order.id(), flow.order.merchantId(), flow.order.skuId(), flow.order.unitPrice(),
        flow.order.feeBasisPoints(), flow.order.policy(), flow.order.state(), flow.order.units(), flow.order.payments(),
        flow.order.placedAt(), flow.order.fundedAt(), flow.order.resupplyStartedAt(), flow.order.readyAt(),
        flow.order.revealedAt(), flow.order.dispute(), flow.order.updatedAt(), flow.order.version(),
        flow.order.evidenceSeq(), flow.order.lastEvidenceHash());

    assertThat(restored).isEqualTo(flow.order);
    assertThat(restored.nextActionAt()).isEqualTo(flow.order.deliverBy());
  }

  @Test
  void namesBothStatesOfAnIllegalMove() {
    assertThatThrownBy(() -> OrderArrow.between(OrderState.RELEASED, OrderState.FUNDED))
        .isInstanceOf(IllegalStateTransitionException.class)
        .hasMessage("no order arrow from RELEASED to FUNDED");
  }

  @Test
  void refusesToRestoreAnOrderWhoseStateDoesNotFitItsPayments() {
    Flow flow = Flow.place(1, policy().build());
    Order o = flow.order;

    assertThatThrownBy(() -> new Order(o.id(), o.merchantId(), o.skuId(), o.unitPrice(), o.feeBasisPoints(),
        o.policy(), OrderState.READY, o.units(), o.payments(), o.placedAt(), null, null, null, null, null,
        o.updatedAt(), o.version(), o.evidenceSeq(), o.lastEvidenceHash()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("READY");
  }

  @Test
  void neverCarriesAKeyInEvidenceOrRejections() {
    Flow flow = Flow.place(1, policy().build()).ready().reveal();
    flow.apply(new Confirm());

    assertThat(flow.evidence).allSatisfy(e -> assertThat(e.details().keySet())
        .noneMatch(k -> k.equals("key") || k.equals("code") || k.equals("secret")));
    assertThat(Instant.parse(flow.evidence.get(0).at().toString())).isEqualTo(Flow.T0);
  }
}
