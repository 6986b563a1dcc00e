package io.keyhold.escrow;

import static io.keyhold.escrow.Flow.PRICE;
import static io.keyhold.escrow.Flow.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.escrow.Effect.ReleaseFunds;
import io.keyhold.escrow.Effect.RequestFromBackup;
import io.keyhold.escrow.Effect.RequestReplacement;
import io.keyhold.escrow.OrderEvent.DeadlineReached;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Backup sources (issue 14): a unit its merchant cannot supply is tried at the next source before any refund. */
class BackupSourceTest {
  static final BackupSource FIRST = new BackupSource("m-2", "sku-2", 100);
  static final BackupSource SECOND = new BackupSource("m-3", "sku-3", 0);

  @Test
  void movesAUnitThePrimaryNeverDeliveredToTheBackupInsteadOfRefundingIt() {
    Flow flow = Flow.place(1, policy().maxResupplyAttempts(0).build(), 250, List.of(FIRST)).pay();
    flow.at(flow.order.deliverBy());

    flow.apply(new DeadlineReached());

    assertThat(flow.order.state()).isEqualTo(OrderState.RESUPPLYING);
    assertThat(flow.posted(Accounts.REFUNDS_OUT).isZero()).isTrue();
    OrderUnit unit = flow.order.units().get(0);
    assertThat(unit.source()).isEqualTo(1);
    assertThat(flow.order.nextActionAt()).isEqualTo(flow.now.plus(Duration.ofMinutes(30)));
    assertThat(flow.last.evidence()).filteredOn(e -> e.type() == EvidenceType.UNIT_SOURCE_SWITCHED).singleElement()
        .satisfies(e -> assertThat(e.details()).containsEntry("from", "m-1/sku-1").containsEntry("to", "m-2/sku-2")
            .containsEntry("cause", "resupply_attempts_exhausted"));
    assertThat(flow.effects(RequestFromBackup.class)).singleElement().satisfies(e -> {
      assertThat(e.merchantId()).isEqualTo("m-2");
      assertThat(e.skuId()).isEqualTo("sku-2");
      assertThat(e.attempt()).isEqualTo(1);
    });
  }

  @Test
  void paysTheBackupMerchantLessItsOwnFeeForTheUnitItDelivered() {
    Flow flow = Flow.place(2, policy().maxResupplyAttempts(0).build(), 250, List.of(FIRST)).pay();
    flow.deliver(0).verdict(0, KeyVerdict.VALID);
    flow.at(flow.order.deliverBy()).apply(new DeadlineReached());
    flow.deliver(1).verdict(1, KeyVerdict.VALID);
    assertThat(flow.order.state()).isEqualTo(OrderState.READY);

    flow.reveal().apply(new OrderEvent.Confirm());

    assertThat(flow.posted(Accounts.merchantPayable("m-1"))).isEqualTo(Money.of(975, "EUR"));
    assertThat(flow.posted(Accounts.merchantPayable("m-2"))).isEqualTo(Money.of(990, "EUR"));
    assertThat(flow.posted(Accounts.PLATFORM_FEES)).isEqualTo(Money.of(35, "EUR"));
    assertThat(flow.effects(ReleaseFunds.class)).extracting(ReleaseFunds::merchantId, ReleaseFunds::units)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("m-1", List.of(0)),
            org.assertj.core.groups.Tuple.tuple("m-2", List.of(1)));
    assertThat(flow.last.evidence()).filteredOn(e -> e.type() == EvidenceType.ORDER_RELEASED).singleElement()
        .satisfies(e -> assertThat(e.details()).containsEntry("paid_to", "m-1=975 EUR,m-2=990 EUR"));
  }

  @Test
  void replacesABadBackupKeyAtTheBackupWithinItsOwnAttempts() {
    Flow flow = Flow.place(1, policy().maxResupplyAttempts(1).build(), 250, List.of(FIRST)).pay().deliver(0);
    flow.verdict(0, KeyVerdict.INVALID);
    assertThat(flow.effects(RequestReplacement.class)).singleElement();
    flow.deliver(0).verdict(0, KeyVerdict.REDEEMED);
    assertThat(flow.effects(RequestFromBackup.class)).singleElement()
        .satisfies(e -> assertThat(e.attempt()).isEqualTo(1));

    flow.deliver(0).verdict(0, KeyVerdict.INVALID);

    assertThat(flow.effects(RequestFromBackup.class)).singleElement().satisfies(e -> {
      assertThat(e.attempt()).isEqualTo(2);
      assertThat(e.reason()).isEqualTo(ReplacementReason.INVALID);
    });
    flow.deliver(0).verdict(0, KeyVerdict.INVALID);
    assertThat(flow.order.state()).isEqualTo(OrderState.REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
  }

  @Test
  void triesEverySourceInOrderAndRefundsOnlyWhenEverySourceFailed() {
    Flow flow = Flow.place(1, policy().maxResupplyAttempts(1).build(), 250, List.of(FIRST, SECOND)).pay();
    flow.dueNow();
    assertThat(flow.effects(RequestReplacement.class)).singleElement();
    flow.dueNow();
    assertThat(flow.order.units().get(0).source()).isEqualTo(1);
    flow.dueNow();
    assertThat(flow.order.units().get(0).source()).isEqualTo(2);
    assertThat(flow.effects(RequestFromBackup.class)).singleElement()
        .satisfies(e -> assertThat(e.merchantId()).isEqualTo("m-3"));
    assertThat(flow.order.state()).isEqualTo(OrderState.RESUPPLYING);

    flow.dueNow();

    assertThat(flow.order.state()).isEqualTo(OrderState.REFUNDED);
    assertThat(flow.posted(Accounts.REFUNDS_OUT)).isEqualTo(PRICE);
    assertThat(flow.evidence).filteredOn(e -> e.type() == EvidenceType.UNIT_SOURCE_SWITCHED)
        .extracting(e -> e.details().get("to")).containsExactly("m-2/sku-2", "m-3/sku-3");
  }

  @Test
  void refusesABackupListThatNamesTheSkuItselfOrOneSourceTwice() {
    assertThatThrownBy(() -> Flow.place(1, policy().build(), 250, List.of(new BackupSource("m-1", "sku-1", 0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("m-1/sku-1");
    assertThatThrownBy(() -> Flow.place(1, policy().build(), 250, List.of(FIRST, FIRST)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("listed twice");
  }
}
