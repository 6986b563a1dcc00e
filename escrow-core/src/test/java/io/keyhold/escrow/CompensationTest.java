package io.keyhold.escrow;

import static io.keyhold.escrow.Flow.MERCHANT_ID;
import static io.keyhold.escrow.Flow.PRICE;
import static io.keyhold.escrow.Flow.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.escrow.Effect.PayCompensation;
import io.keyhold.escrow.OrderEvent.DeadlineReached;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The merchant's deposit pays the SKU's compensation at the deadline that finds it late (docs/money.md). */
class CompensationTest {

  private static final String DEPOSIT = Accounts.merchantDeposit(MERCHANT_ID);

  private static Money eur(long minor) {
    return Money.of(minor, "EUR");
  }

  private static EvidenceEvent compensated(Flow flow) {
    return flow.last.evidence().stream().filter(e -> e.type() == EvidenceType.ORDER_COMPENSATED).findFirst()
        .orElseThrow(() -> new AssertionError("no order.compensated in " + flow.last.evidence()));
  }

  @Test
  void paysTheFixedCompensationPerLateUnitFromTheDepositWhenTheFirstKeysMissTheDeadline() {
    Flow flow = Flow.place(2, policy().compensation(Compensation.fixed(150)).build()).pay();
    flow.at(flow.order.deliverBy());

    flow.apply(new DeadlineReached(eur(10_000)));

    assertThat(flow.order.state()).isEqualTo(OrderState.RESUPPLYING);
    assertThat(flow.posted(DEPOSIT)).isEqualTo(eur(-300));
    assertThat(flow.posted(Accounts.COMPENSATIONS_OUT)).isEqualTo(eur(300));
    assertThat(flow.effects(PayCompensation.class)).singleElement().satisfies(pay -> {
      assertThat(pay.amount()).isEqualTo(eur(300));
      assertThat(pay.paymentId()).isEqualTo("pay-1");
    });
    assertThat(compensated(flow).details()).containsEntry("cause", "delivery_late").containsEntry("units", "0,1")
        .containsEntry("owed", "300 EUR").containsEntry("paid", "300 EUR").containsEntry("unpaid", "0 EUR")
        .containsEntry("deadline", flow.order.deliverBy().toString());
  }

  @Test
  void paysWhatTheDepositHoldsAndRecordsTheRest() {
    Flow flow = Flow.place(1, policy().compensation(Compensation.basisPoints(5000)).build()).pay();
    flow.at(flow.order.deliverBy());

    flow.apply(new DeadlineReached(eur(120)));

    assertThat(flow.posted(DEPOSIT)).isEqualTo(eur(-120));
    assertThat(flow.effects(PayCompensation.class)).singleElement()
        .satisfies(pay -> assertThat(pay.amount()).isEqualTo(eur(120)));
    assertThat(compensated(flow).details()).containsEntry("owed", "500 EUR").containsEntry("paid", "120 EUR")
        .containsEntry("unpaid", "380 EUR").containsEntry("deposit_before", "120 EUR");
  }

  @Test
  void recordsTheWholeCompensationUnpaidWhenTheDepositIsEmptyOrInAnotherCurrency() {
    Flow flow = Flow.place(1, policy().compensation(Compensation.fixed(100)).build()).pay();
    flow.at(flow.order.deliverBy());

    flow.apply(new DeadlineReached(Money.of(5_000, "USD")));

    assertThat(flow.last.postings()).noneMatch(p -> p.account().equals(DEPOSIT));
    assertThat(flow.effects(PayCompensation.class)).isEmpty();
    assertThat(compensated(flow).details()).containsEntry("paid", "0 EUR").containsEntry("unpaid", "100 EUR");
  }

  @Test
  void paysWhenTheResupplyWindowClosesOnAUnitAndRefundsIt() {
    Flow flow = Flow.place(1, policy().compensation(Compensation.fixed(70)).build()).pay();
    flow.at(flow.order.deliverBy());
    flow.apply(new DeadlineReached(eur(0)));
    flow.at(flow.order.resupplyBy());

    flow.apply(new DeadlineReached(eur(1_000)));

    assertThat(flow.order.state()).isEqualTo(OrderState.REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
    assertThat(flow.posted(DEPOSIT)).isEqualTo(eur(-70));
    assertThat(compensated(flow).details()).containsEntry("cause", "resupply_refunded").containsEntry("units", "0")
        .containsEntry("deadline", flow.order.resupplyBy().toString());
  }

  @Test
  void paysNothingForAKeyDeliveredInTimeOrForAValidatorThatCouldNotAnswer() {
    Flow flow = Flow.place(1, policy().compensation(Compensation.fixed(70))
        .unknownVerdictPolicy(UnknownVerdictPolicy.REFUND).build()).pay().deliverAll();
    flow.verdict(0, KeyVerdict.UNKNOWN);
    flow.at(flow.order.nextActionAt());

    flow.apply(new DeadlineReached(eur(1_000)));

    assertThat(flow.order.state()).isEqualTo(OrderState.REFUNDED);
    assertThat(flow.last.evidence()).noneMatch(e -> e.type() == EvidenceType.ORDER_COMPENSATED);
    assertThat(flow.last.postings()).noneMatch(p -> p.account().equals(DEPOSIT));
  }

  @Test
  void paysNothingWhenThePolicyNamesNoCompensation() {
    Flow flow = Flow.place(1, policy().build()).pay();
    flow.at(flow.order.deliverBy());

    flow.apply(new DeadlineReached(eur(1_000)));

    assertThat(flow.last.evidence()).noneMatch(e -> e.type() == EvidenceType.ORDER_COMPENSATED);
    assertThat(flow.effects(PayCompensation.class)).isEmpty();
  }

  @Test
  void recordsTheCompensationInTheTermsOnlyWhenOneIsNamed() {
    assertThat(policy().compensation(Compensation.basisPoints(250)).build().toDetails())
        .containsEntry("compensation_basis", "basis_points").containsEntry("compensation_value", "250");
    assertThat(policy().build().toDetails()).doesNotContainKeys("compensation_basis", "compensation_value");
  }

  @Test
  void refusesACompensationOutOfItsBounds() {
    assertThatThrownBy(() -> Compensation.basisPoints(10_001))
        .hasMessage("compensation basis_points must be between 1 and 10000, but was 10001");
    assertThatThrownBy(() -> Compensation.fixed(0))
        .hasMessage("compensation fixed must be between 1 and 100000000, but was 0");
    assertThatThrownBy(() -> new DeadlineReached(eur(-1)))
        .hasMessage("depositAvailable must not be negative, but was EUR -0.01");
  }

  @Test
  void neverPaysOneUnitTwiceForOneLateDelivery() {
    Flow flow = Flow.place(1, policy().compensation(Compensation.fixed(40)).maxResupplyAttempts(1).build()).pay();
    flow.at(flow.order.deliverBy());
    flow.apply(new DeadlineReached(eur(1_000)));
    flow.deliver(0).verdict(0, KeyVerdict.VALID);

    assertThat(flow.order.state()).isEqualTo(OrderState.READY);
    List<EvidenceEvent> paid = flow.evidence.stream().filter(e -> e.type() == EvidenceType.ORDER_COMPENSATED).toList();
    assertThat(paid).singleElement().satisfies(e -> assertThat(e.details()).containsEntry("paid", "40 EUR"));
    flow.advance(Duration.ofDays(8)).dueNow();
    assertThat(flow.order.state()).isEqualTo(OrderState.RELEASED);
  }
}
