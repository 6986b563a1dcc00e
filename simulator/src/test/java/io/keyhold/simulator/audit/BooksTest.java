package io.keyhold.simulator.audit;

import static io.keyhold.simulator.audit.OrderJson.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.simulator.client.Amount;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BooksTest {
  private static final Amount PRICE = new Amount(1_000, "CNY");
  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final Duration LAG = Duration.ofSeconds(10);

  private final Books books = new Books();

  /** An order of one unit, paid, revealed with {@code key}, released. */
  private void releasedOrder(String orderId, String buyer, String key) {
    books.opened(orderId, buyer, "sku_a", 1, PRICE);
    books.paid(orderId, "pay_" + orderId, PRICE);
    books.revealed(orderId, order(orderId, "inspection").unit(0, "valid", key).view(), NOW);
    books.observed(order(orderId, "released").unit(0, "released", null).released(1_000).view(), NOW);
  }

  private List<String> codes() {
    return books.audit(LAG).stream().map(Violation::code).toList();
  }

  @Test
  void cleanBooksPassAndBalance() {
    books.stock("sku_a", 10);
    releasedOrder("ord_1", "buyer-1", "1111-2222");
    releasedOrder("ord_2", "buyer-2", "3333-4444");
    books.opened("ord_3", "buyer-3", "sku_a", 1, PRICE);
    books.paid("ord_3", "pay_3", PRICE);
    books.observed(order("ord_3", "refunded").unit(0, "refunded", null).refunded(1_000).view(), NOW);

    assertThat(books.audit(LAG)).isEmpty();
    assertThat(books.totals()).isEqualTo(new Books.Totals(3_000, 2_000, 1_000, 0));
    assertThat(books.totals().balanced()).isTrue();
  }

  @Test
  void aKeyShownToTwoBuyersFailsTheAuditNamingBothOrders() {
    books.stock("sku_a", 10);
    releasedOrder("ord_1", "buyer-1", "1111-2222");
    releasedOrder("ord_2", "buyer-2", "11112222");

    List<Violation> violations = books.audit(LAG);

    assertThat(violations).extracting(Violation::code).containsExactly(ViolationCodes.KEY_TO_TWO_BUYERS);
    assertThat(violations.get(0).orderIds()).containsExactly("ord_1", "ord_2");
    assertThat(violations.get(0).detail()).doesNotContain("1111").doesNotContain("2222");
  }

  @Test
  void theSameKeyForTwoUnitsOfOneBuyerIsAViolationButTheSameUnitShownTwiceIsNot() {
    books.stock("sku_a", 10);
    books.opened("ord_1", "buyer-1", "sku_a", 2, PRICE);
    books.paid("ord_1", "pay_1", PRICE.times(2));
    OrderJson revealed = order("ord_1", "inspection").unit(0, "valid", "AAAA").unit(1, "valid", "BBBB");
    books.revealed("ord_1", revealed.view(), NOW);
    books.revealed("ord_1", revealed.view(), NOW);
    assertThat(codes()).isEmpty();

    books.opened("ord_2", "buyer-2", "sku_a", 2, PRICE);
    books.revealed("ord_2", order("ord_2", "inspection").unit(0, "valid", "CCCC").unit(1, "valid", "cc-cc").view(),
        NOW);
    assertThat(codes()).contains(ViolationCodes.KEY_TWICE_TO_BUYER);
  }

  @Test
  void moneyThatDoesNotAddUpOnATerminalOrderIsNamed() {
    books.stock("sku_a", 10);
    books.opened("ord_1", "buyer-1", "sku_a", 1, PRICE);
    books.paid("ord_1", "pay_1a", PRICE);
    books.paid("ord_1", "pay_1b", PRICE);
    books.paid("ord_1", "pay_1b", PRICE);
    books.observed(order("ord_1", "released").unit(0, "released", null).released(1_000).view(), NOW);

    List<Violation> violations = books.audit(LAG);

    assertThat(violations).extracting(Violation::code).containsExactly(ViolationCodes.MONEY_MISMATCH);
    assertThat(violations.get(0).orderIds()).containsExactly("ord_1");
    assertThat(violations.get(0).detail()).contains("1000 minor units");
  }

  @Test
  void aPaymentWithoutAnAnswerMayHaveBeenTakenOrNot() {
    books.stock("sku_a", 10);
    books.opened("ord_1", "buyer-1", "sku_a", 1, PRICE);
    books.paymentUnknown("ord_1", "pay_1", PRICE);
    books.observed(order("ord_1", "refunded").unit(0, "refunded", null).refunded(1_000).view(), NOW);
    books.opened("ord_2", "buyer-2", "sku_a", 1, PRICE);
    books.paymentUnknown("ord_2", "pay_2", PRICE);
    books.observed(order("ord_2", "expired").unit(0, "pending", null).view(), NOW);

    assertThat(codes()).isEmpty();
  }

  @Test
  void aPaymentTheGatewayRefusedButTookIsNamedAsSuch() {
    books.stock("sku_a", 10);
    books.opened("ord_1", "buyer-1", "sku_a", 1, PRICE);
    books.paymentRefused("ord_1", "pay_1", PRICE);
    books.observed(order("ord_1", "released").unit(0, "released", null).released(1_000).view(), NOW);
    books.opened("ord_2", "buyer-2", "sku_a", 1, PRICE);
    books.paymentRefused("ord_2", "pay_2", PRICE);
    books.observed(order("ord_2", "expired").unit(0, "pending", null).view(), NOW);

    List<Violation> violations = books.audit(LAG);

    assertThat(violations).extracting(Violation::code).containsExactly(ViolationCodes.REFUSED_PAYMENT_TAKEN);
    assertThat(violations.get(0).orderIds()).containsExactly("ord_1");
  }

  @Test
  void moreKeysSoldThanStockIsOverselling() {
    books.stock("sku_a", 1);
    releasedOrder("ord_1", "buyer-1", "AAAA");
    releasedOrder("ord_2", "buyer-2", "BBBB");

    List<Violation> violations = books.audit(LAG);

    assertThat(violations).extracting(Violation::code).containsExactly(ViolationCodes.OVERSOLD);
    assertThat(violations.get(0).orderIds()).containsExactly("ord_1", "ord_2");
  }

  @Test
  void anOrderSeenNotTerminalLaterThanItsDeadlinePlusTheLagIsOverdue() {
    books.stock("sku_a", 10);
    books.opened("ord_1", "buyer-1", "sku_a", 1, PRICE);
    books.paid("ord_1", "pay_1", PRICE);
    books.observed(order("ord_1", "funded").unit(0, "pending", null)
        .deadline("deliver_by", NOW.minusSeconds(5)).view(), NOW);
    assertThat(codes()).isEmpty();
    // A view taken before the deadline says nothing about lateness, however late the audit runs.
    books.observed(order("ord_1", "funded").unit(0, "pending", null)
        .deadline("deliver_by", NOW.minusSeconds(60)).view(), NOW.minusSeconds(65));
    assertThat(codes()).isEmpty();

    books.observed(order("ord_1", "funded").unit(0, "pending", null)
        .deadline("deliver_by", NOW.minusSeconds(11)).view(), NOW);
    List<Violation> violations = books.audit(LAG);
    assertThat(violations).extracting(Violation::code).containsExactly(ViolationCodes.OVERDUE);
    assertThat(violations.get(0).detail()).contains("funded=1");
  }

  @Test
  void aRevealedOrderReleasedWithAUnitThatShowedNoKeyIsTheDeliveredWithoutKeyBug() {
    books.stock("sku_a", 10);
    books.opened("ord_1", "buyer-1", "sku_a", 2, PRICE);
    books.paid("ord_1", "pay_1", PRICE.times(2));
    books.revealed("ord_1", order("ord_1", "inspection").unit(0, "valid", "AAAA").unit(1, "valid", null).view(),
        NOW);
    books.observed(order("ord_1", "released").unit(0, "released", null).unit(1, "released", null)
        .released(2_000).view(), NOW);

    assertThat(codes()).containsExactly(ViolationCodes.RELEASED_WITHOUT_KEY);
  }

  @Test
  void anOrderNeverSeenCannotPassTheAudit() {
    books.opened("ord_1", "buyer-1", "sku_a", 1, PRICE);

    assertThat(codes()).containsExactly(ViolationCodes.UNOBSERVED);
    assertThat(books.unsettled()).containsExactly("ord_1");
  }

  @Test
  void aDuplicateKeyTheGatewayAcceptedIsAViolation() {
    books.duplicateUpload("sku_a", true);
    assertThat(codes()).isEmpty();

    books.duplicateUpload("sku_b", false);
    assertThat(codes()).containsExactly(ViolationCodes.DUPLICATE_UPLOAD_ACCEPTED);
  }

  @Test
  void anOrderOpenedTwiceIsAProgrammingError() {
    books.opened("ord_1", "buyer-1", "sku_a", 1, PRICE);

    assertThatThrownBy(() -> books.opened("ord_1", "buyer-1", "sku_a", 1, PRICE))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("ord_1");
  }
}
