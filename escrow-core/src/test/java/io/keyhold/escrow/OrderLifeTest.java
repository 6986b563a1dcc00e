package io.keyhold.escrow;

import static io.keyhold.escrow.Flow.PRICE;
import static io.keyhold.escrow.Flow.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.keyhold.escrow.Effect.Notify;
import io.keyhold.escrow.Effect.RefundPayment;
import io.keyhold.escrow.Effect.ReleaseFunds;
import io.keyhold.escrow.Effect.ReleaseReservation;
import io.keyhold.escrow.Effect.RequestDelivery;
import io.keyhold.escrow.Effect.RequestReplacement;
import io.keyhold.escrow.Effect.ReturnKeysToShop;
import io.keyhold.escrow.Effect.ValidateUnit;
import io.keyhold.escrow.OrderEvent.ArbiterDecided;
import io.keyhold.escrow.OrderEvent.Cancel;
import io.keyhold.escrow.OrderEvent.Confirm;
import io.keyhold.escrow.OrderEvent.DisputeOpened;
import io.keyhold.escrow.OrderEvent.DuplicateKeyFound;
import io.keyhold.escrow.OrderEvent.PaymentReceived;
import java.time.Duration;
import java.util.List;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per {@link OrderArrow}: each drives an order along that arrow and checks what it must do. */
class OrderLifeTest {

  private static final String ESCROW = Accounts.escrow(Flow.ORDER_ID);
  private static final String PAYABLE = Accounts.merchantPayable(Flow.MERCHANT_ID);

  @Test
  void fundsOrderWhenTheExactTotalIsPaid() {
    Flow flow = Flow.place(2, policy().build());

    flow.apply(new PaymentReceived("pay-1", Money.of(2000, "EUR"), true));

    assertThat(flow.arrow()).contains(OrderArrow.AWAITING_PAYMENT_TO_FUNDED);
    assertThat(flow.posted(ESCROW)).isEqualTo(Money.of(2000, "EUR"));
    assertThat(flow.posted(Accounts.PAYMENTS_IN)).isEqualTo(Money.of(-2000, "EUR"));
    assertThat(flow.effects(RequestDelivery.class)).singleElement()
        .satisfies(e -> assertThat(e.units()).containsExactly(0, 1));
    assertThat(flow.effects(Notify.class)).extracting(Notify::type).containsExactly(EvidenceType.ORDER_FUNDED);
    assertThat(flow.order.fundingPaymentId()).contains("pay-1");
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.now.plus(Duration.ofMinutes(10)));
  }

  @Test
  void expiresWhenPaymentDeadlinePasses() {
    Flow flow = Flow.place(1, policy().build());

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.AWAITING_PAYMENT_TO_EXPIRED);
    assertThat(flow.now).isEqualTo(Flow.T0.plus(Duration.ofMinutes(15)));
    assertThat(flow.last.postings()).isEmpty();
    assertThat(flow.effects(ReleaseReservation.class)).hasSize(1);
    assertThat(flow.order.nextActionAt()).isNull();
  }

  @Test
  void fulfilsLatePaymentWhenStockIsStillReservable() {
    Flow flow = Flow.place(1, policy().latePaymentPolicy(LatePaymentPolicy.FULFIL_IF_STOCK).build());
    flow.dueNow().advance(Duration.ofHours(1));
    assertThat(flow.order.wouldFulfilLatePayment(PRICE, flow.order.payBy().plusSeconds(1))).isTrue();

    flow.apply(new PaymentReceived("pay-late", PRICE, true));

    assertThat(flow.arrow()).contains(OrderArrow.EXPIRED_TO_FUNDED);
    assertThat(flow.posted(ESCROW)).isEqualTo(PRICE);
    assertThat(flow.effects(RequestDelivery.class)).hasSize(1);
    assertThat(flow.order.deliverBy()).isEqualTo(flow.now.plus(Duration.ofMinutes(10)));
  }

  @Test
  void startsValidatingWhenFirstKeysArrive() {
    Flow flow = Flow.place(2, policy().build()).pay();

    flow.deliver(0);

    assertThat(flow.arrow()).contains(OrderArrow.FUNDED_TO_VALIDATING);
    assertThat(flow.effects(ValidateUnit.class)).singleElement()
        .satisfies(e -> assertThat(e.keyRef()).isEqualTo("k-0-1"));
    assertThat(flow.order.units().get(0).state()).isEqualTo(UnitState.DELIVERED);
    assertThat(flow.order.units().get(1).state()).isEqualTo(UnitState.PENDING);
  }

  @Test
  void requestsReplacementsWhenDeliveryDeadlinePasses() {
    Flow flow = Flow.place(2, policy().build()).pay();

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.FUNDED_TO_RESUPPLYING);
    assertThat(flow.effects(RequestReplacement.class))
        .extracting(RequestReplacement::unit, RequestReplacement::reason, RequestReplacement::attempt)
        .containsExactly(
            tuple(0, ReplacementReason.NOT_DELIVERED, 1),
            tuple(1, ReplacementReason.NOT_DELIVERED, 1));
    assertThat(flow.order.resupplyBy()).isEqualTo(flow.now.plus(Duration.ofMinutes(30)));
  }

  @Test
  void refundsInFullWhenBuyerCancelsBeforeAnyKeyArrives() {
    Flow flow = Flow.place(2, policy().build()).pay();

    flow.apply(new Cancel());

    assertThat(flow.arrow()).contains(OrderArrow.FUNDED_TO_REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(Money.of(2000, "EUR"));
    assertThat(flow.posted(ESCROW)).isEqualTo(Money.of(-2000, "EUR"));
    assertThat(flow.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.paymentId()).isEqualTo("pay-1"))
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefundReason.CANCELLED));
    assertThat(flow.effects(ReturnKeysToShop.class)).isEmpty();
  }

  @Test
  void refundsWhenNoKeyArrivesAndNoResupplyIsAllowed() {
    Flow flow = Flow.place(1, policy().maxResupplyAttempts(0).build()).pay();

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.FUNDED_TO_REFUNDED);
    assertThat(flow.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefundReason.NOT_FULFILLED));
  }

  @Test
  void becomesReadyWhenEveryUnitIsValid() {
    Flow flow = Flow.place(2, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.VALID);
    assertThat(flow.order.state()).isEqualTo(OrderState.VALIDATING);

    flow.verdict(1, KeyVerdict.VALID);

    assertThat(flow.arrow()).contains(OrderArrow.VALIDATING_TO_READY);
    assertThat(flow.order.keyRefsVisibleToBuyer()).as("sealed until the reveal").isEmpty();
    assertThat(flow.order.holdUntil()).isEqualTo(flow.now.plus(Duration.ofDays(7)));
    assertThat(flow.last.postings()).isEmpty();
  }

  @Test
  void requestsReplacementForTheInvalidUnitOnly() {
    Flow flow = Flow.place(2, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.VALID);

    flow.verdict(1, KeyVerdict.REDEEMED);

    assertThat(flow.arrow()).contains(OrderArrow.VALIDATING_TO_RESUPPLYING);
    assertThat(flow.effects(RequestReplacement.class)).singleElement()
        .satisfies(r -> assertThat(r.unit()).isEqualTo(1))
        .satisfies(r -> assertThat(r.reason()).isEqualTo(ReplacementReason.REDEEMED));
    assertThat(flow.order.units().get(0).state()).as("the good unit is kept").isEqualTo(UnitState.VALID);
    assertThat(flow.order.units().get(1).state()).isEqualTo(UnitState.REDEEMED);
  }

  @Test
  void refundsWhenTheOnlyUnitIsInvalidAndNoResupplyIsAllowed() {
    Flow flow = Flow.place(1, policy().maxResupplyAttempts(0).build()).pay().deliverAll();

    flow.verdict(0, KeyVerdict.INVALID);

    assertThat(flow.arrow()).contains(OrderArrow.VALIDATING_TO_REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
    assertThat(flow.posted(PAYABLE)).isEqualTo(Money.zero("EUR"));
  }

  @Test
  void refundsTheBadUnitAndKeepsTheValidOneSealedWhenAttemptsRunOut() {
    Flow flow = Flow.place(2, policy().maxResupplyAttempts(1).build()).pay().deliverAll()
        .verdict(0, KeyVerdict.VALID).verdict(1, KeyVerdict.INVALID).deliver(1);
    assertThat(flow.order.state()).isEqualTo(OrderState.VALIDATING);

    flow.verdict(1, KeyVerdict.INVALID);

    assertThat(flow.arrow()).contains(OrderArrow.VALIDATING_TO_READY);
    assertThat(flow.order.units()).extracting(OrderUnit::state)
        .containsExactly(UnitState.VALID, UnitState.REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
    assertThat(flow.posted(PAYABLE)).as("nothing reaches the shop before the buyer saw the key")
        .isEqualTo(Money.zero("EUR"));
    assertThat(flow.effects(ReleaseFunds.class)).isEmpty();
    assertThat(flow.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.amount()).isEqualTo(PRICE));
    assertThat(flow.order.escrowBalance()).isEqualTo(PRICE);
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.order.holdUntil());
    assertThat(flow.last.evidence()).extracting(EvidenceEvent::type)
        .contains(EvidenceType.UNITS_REFUNDED, EvidenceType.ORDER_READY);
  }

  @Test
  void releasesTheHeldUnitWhenTheBuyerConfirmsAfterAPartialRefund() {
    Flow flow = Flow.place(2, policy().maxResupplyAttempts(0).build()).pay().deliverAll()
        .verdict(0, KeyVerdict.VALID).verdict(1, KeyVerdict.INVALID).reveal();
    assertThat(flow.order.keyRefsVisibleToBuyer()).as("only the valid key is shown").containsExactly("k-0-1");

    flow.apply(new Confirm());

    assertThat(flow.arrow()).contains(OrderArrow.INSPECTION_TO_PARTIALLY_REFUNDED);
    assertThat(flow.posted(PAYABLE)).isEqualTo(Money.of(975, "EUR"));
    assertThat(flow.posted(Accounts.PLATFORM_FEES)).isEqualTo(Money.of(25, "EUR"));
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).as("refunded once, earlier").isEqualTo(Money.zero("EUR"));
    assertThat(flow.effects(RefundPayment.class)).isEmpty();
    assertThat(flow.order.units()).extracting(OrderUnit::state)
        .containsExactly(UnitState.RELEASED, UnitState.REFUNDED);
    assertThat(flow.order.escrowBalance()).isEqualTo(Money.zero("EUR"));
  }

  @Test
  void keepsDisputeAndConfirmationOpenWhileTheShownWindowIsOpenAfterAPartialRefund() {
    Flow flow = Flow.place(2, policy().maxResupplyAttempts(0).build()).pay().deliverAll()
        .verdict(0, KeyVerdict.VALID).verdict(1, KeyVerdict.INVALID).reveal();
    Instant endsAt = flow.order.inspectionEndsAt();
    flow.at(endsAt.minusSeconds(1));

    flow.apply(new DisputeOpened(DisputeReason.KEY_INVALID, "the code does not work"));

    assertThat(flow.arrow()).contains(OrderArrow.INSPECTION_TO_DISPUTED);
    flow.reject(new ArbiterDecided(Map.of(0, Award.REFUND, 1, Award.REFUND)), RejectionCode.AWARDS_DO_NOT_MATCH_UNITS);
    flow.apply(ArbiterDecided.wholeOrder(Award.REFUND, flow.order));
    assertThat(flow.arrow()).contains(OrderArrow.DISPUTED_TO_REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
  }

  @Test
  void refusesConfirmationOnceTheInspectionWindowClosed() {
    Flow flow = Flow.place(1, policy().build()).ready().reveal();
    flow.at(flow.order.inspectionEndsAt());

    flow.reject(new Confirm(), RejectionCode.INSPECTION_WINDOW_CLOSED);
    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.INSPECTION_TO_RELEASED);
    assertThat(flow.effects(ReleaseFunds.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(ReleaseReason.INSPECTION_WINDOW_OVER));
  }

  @Test
  void refundsTheHeldUnitTooWhenTheBuyerCancelsAfterAPartialRefund() {
    Flow flow = Flow.place(2, policy().maxResupplyAttempts(0).build()).pay().deliverAll()
        .verdict(0, KeyVerdict.VALID).verdict(1, KeyVerdict.INVALID);

    flow.apply(new Cancel());

    assertThat(flow.arrow()).contains(OrderArrow.READY_TO_REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
    assertThat(flow.effects(ReturnKeysToShop.class)).singleElement()
        .satisfies(r -> assertThat(r.keyRefs()).containsExactly("k-0-1"));
  }

  @Test
  void returnsToValidatingWhenTheReplacementArrives() {
    Flow flow = Flow.place(2, policy().build()).pay().deliverAll()
        .verdict(0, KeyVerdict.VALID).verdict(1, KeyVerdict.INVALID);

    flow.deliver(1);

    assertThat(flow.arrow()).contains(OrderArrow.RESUPPLYING_TO_VALIDATING);
    assertThat(flow.order.units().get(1).deliveries()).isEqualTo(2);
    assertThat(flow.effects(ValidateUnit.class)).singleElement()
        .satisfies(v -> assertThat(v.keyRef()).isEqualTo("k-1-2"));
  }

  @Test
  void refundsEverythingWhenResupplyWindowClosesWithNoValidUnit() {
    Flow flow = Flow.place(1, policy().build()).pay().deliverAll().verdict(0, KeyVerdict.INVALID);
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.order.resupplyBy());

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.RESUPPLYING_TO_REFUNDED);
    assertThat(flow.last.evidence()).last()
        .satisfies(e -> assertThat(e.details()).containsEntry("cause", "resupply_window_closed"));
  }

  @Test
  void refundsUnitsStillInvalidWhenResupplyWindowCloses() {
    Flow flow = Flow.place(3, policy().build()).pay().deliverAll()
        .verdict(0, KeyVerdict.VALID).verdict(1, KeyVerdict.VALID).verdict(2, KeyVerdict.INVALID);

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.RESUPPLYING_TO_READY);
    assertThat(flow.order.units()).extracting(OrderUnit::state)
        .containsExactly(UnitState.VALID, UnitState.VALID, UnitState.REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
    assertThat(flow.posted(PAYABLE)).isEqualTo(Money.zero("EUR"));
    assertThat(flow.effects(RefundPayment.class)).singleElement()
        .satisfies(r -> assertThat(r.amount()).isEqualTo(PRICE));
  }

  @Test
  void releasesTheHeldUnitsAtMaxHoldAfterAPartialRefund() {
    Flow flow = Flow.place(3, policy().build()).pay().deliverAll()
        .verdict(0, KeyVerdict.VALID).verdict(1, KeyVerdict.VALID).verdict(2, KeyVerdict.INVALID).dueNow();

    flow.dueNow();

    assertThat(flow.now).isEqualTo(flow.order.holdUntil());
    assertThat(flow.arrow()).contains(OrderArrow.READY_TO_PARTIALLY_REFUNDED);
    assertThat(flow.order.units()).extracting(OrderUnit::state)
        .containsExactly(UnitState.RELEASED, UnitState.RELEASED, UnitState.REFUNDED);
    assertThat(flow.posted(PAYABLE).plus(flow.posted(Accounts.PLATFORM_FEES))).isEqualTo(Money.of(2000, "EUR"));
    assertThat(flow.effects(ReleaseFunds.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(ReleaseReason.MAX_HOLD));
  }

  @Test
  void startsInspectionWindowAtReveal() {
    Flow flow = Flow.place(1, policy().build()).ready().advance(Duration.ofHours(3));

    flow.reveal();

    assertThat(flow.arrow()).contains(OrderArrow.READY_TO_INSPECTION);
    assertThat(flow.order.inspectionEndsAt()).isEqualTo(flow.now.plus(Duration.ofHours(24)));
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.order.inspectionEndsAt());
    assertThat(flow.order.keyRefsVisibleToBuyer()).containsExactly("k-0-1");
  }

  @Test
  void refundsInFullAndReturnsKeysWhenBuyerCancelsBeforeReveal() {
    Flow flow = Flow.place(2, policy().build()).ready();

    flow.apply(new Cancel());

    assertThat(flow.arrow()).contains(OrderArrow.READY_TO_REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(Money.of(2000, "EUR"));
    assertThat(flow.effects(ReturnKeysToShop.class)).singleElement()
        .satisfies(r -> assertThat(r.keyRefs()).containsExactly("k-0-1", "k-1-1"));
    assertThat(flow.order.keyRefsVisibleToBuyer()).isEmpty();
  }

  @Test
  void releasesAfterMaxHoldWhenNeverRevealed() {
    Flow flow = Flow.place(1, policy().build()).ready();

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.READY_TO_RELEASED);
    assertThat(flow.effects(ReleaseFunds.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(ReleaseReason.MAX_HOLD));
  }

  @Test
  void resuppliesASealedUnitWhoseKeyTurnsOutDuplicated() {
    Flow flow = Flow.place(2, policy().build()).ready();

    flow.apply(new DuplicateKeyFound(1, "k-1-1"));

    assertThat(flow.arrow()).contains(OrderArrow.READY_TO_RESUPPLYING);
    assertThat(flow.effects(RequestReplacement.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(ReplacementReason.DUPLICATE_KEY));
    assertThat(flow.order.units().get(1).state()).isEqualTo(UnitState.INVALID);
  }

  @Test
  void keepsTheOtherUnitsSealedWhenASealedDuplicateCannotBeReplaced() {
    Flow flow = Flow.place(2, policy().maxResupplyAttempts(0).build()).ready();

    flow.apply(new DuplicateKeyFound(0, "k-0-1"));

    assertThat(flow.arrow()).as("still ready: the valid unit waits for the buyer").isEmpty();
    assertThat(flow.order.state()).isEqualTo(OrderState.READY);
    assertThat(flow.order.units()).extracting(OrderUnit::state)
        .containsExactly(UnitState.REFUNDED, UnitState.VALID);
    assertThat(flow.posted(PAYABLE)).isEqualTo(Money.zero("EUR"));
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
  }

  @Test
  void releasesWhenBuyerConfirms() {
    Flow flow = Flow.place(1, policy().build()).ready().reveal();

    flow.apply(new Confirm());

    assertThat(flow.arrow()).contains(OrderArrow.INSPECTION_TO_RELEASED);
    assertThat(flow.posted(PAYABLE)).isEqualTo(Money.of(975, "EUR"));
    assertThat(flow.posted(Accounts.PLATFORM_FEES)).isEqualTo(Money.of(25, "EUR"));
    assertThat(flow.effects(ReleaseFunds.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(ReleaseReason.CONFIRMED));
  }

  @Test
  void releasesWhenInspectionWindowCloses() {
    Flow flow = Flow.place(1, policy().build()).ready().reveal();

    flow.dueNow();

    assertThat(flow.arrow()).contains(OrderArrow.INSPECTION_TO_RELEASED);
    assertThat(flow.effects(ReleaseFunds.class)).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(ReleaseReason.INSPECTION_WINDOW_OVER));
  }

  @Test
  void opensDisputeWithinInspectionWindow() {
    Flow flow = Flow.place(1, policy().build()).ready().reveal().advance(Duration.ofHours(23));

    flow.apply(new DisputeOpened(DisputeReason.KEY_ALREADY_USED, "the site says the code was used"));

    assertThat(flow.arrow()).contains(OrderArrow.INSPECTION_TO_DISPUTED);
    assertThat(flow.order.nextActionAt()).as("the arbiter decides, no deadline").isNull();
    assertThat(flow.last.evidence()).singleElement()
        .satisfies(e -> assertThat(e.details()).containsKey("text_sha256").doesNotContainValue("the site says the code was used"));
  }

  @Test
  void releasesWhenArbiterAwardsTheMerchant() {
    Flow flow = disputed(2);

    flow.apply(ArbiterDecided.wholeOrder(Award.RELEASE, flow.order));

    assertThat(flow.arrow()).contains(OrderArrow.DISPUTED_TO_RELEASED);
    assertThat(flow.posted(PAYABLE).plus(flow.posted(Accounts.PLATFORM_FEES))).isEqualTo(Money.of(2000, "EUR"));
  }

  @Test
  void refundsWhenArbiterAwardsTheBuyer() {
    Flow flow = disputed(2);

    flow.apply(ArbiterDecided.wholeOrder(Award.REFUND, flow.order));

    assertThat(flow.arrow()).contains(OrderArrow.DISPUTED_TO_REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(Money.of(2000, "EUR"));
    assertThat(flow.effects(ReturnKeysToShop.class)).as("revealed keys are not returned").isEmpty();
  }

  @Test
  void splitsByUnitWhenArbiterAwardsBoth() {
    Flow flow = disputed(3);

    flow.apply(new ArbiterDecided(Map.of(0, Award.RELEASE, 1, Award.REFUND, 2, Award.RELEASE)));

    assertThat(flow.arrow()).contains(OrderArrow.DISPUTED_TO_PARTIALLY_REFUNDED);
    assertThat(flow.order.units()).extracting(OrderUnit::state)
        .containsExactly(UnitState.RELEASED, UnitState.REFUNDED, UnitState.RELEASED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
    assertThat(flow.posted(PAYABLE)).isEqualTo(Money.of(1950, "EUR"));
    assertThat(flow.posted(Accounts.PLATFORM_FEES)).isEqualTo(Money.of(50, "EUR"));
  }

  @Test
  void everyTestedArrowIsListedAndNoOtherMoveIsLegal() {
    assertThat(OrderArrow.values()).hasSize(23);
    for (OrderState from : OrderState.values()) {
      for (OrderState to : OrderState.values()) {
        boolean listed = List.of(OrderArrow.values()).stream().anyMatch(a -> a.from() == from && a.to() == to);
        assertThat(OrderArrow.find(from, to).isPresent()).as("%s -> %s", from, to).isEqualTo(listed);
      }
    }
    assertThat(OrderArrow.find(OrderState.RELEASED, OrderState.FUNDED)).isEmpty();
  }

  static Flow disputed(int quantity) {
    Flow flow = Flow.place(quantity, policy().build()).ready().reveal();
    flow.apply(new DisputeOpened(DisputeReason.KEY_INVALID, "does not work"));
    assertThat(flow.order.state()).isEqualTo(OrderState.DISPUTED);
    return flow;
  }
}
