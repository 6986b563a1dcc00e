package io.keyhold.escrow;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.OrderEvent.DeliveredKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Drives one order through events at a test-controlled time, keeping its whole evidence chain and
 * checking after every accepted event what must always hold (balanced postings, chain intact).
 */
final class Flow {

  static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
  static final String ORDER_ID = "o-1";
  static final String MERCHANT_ID = "m-1";
  static final Money PRICE = Money.of(1000, "EUR");

  Order order;
  Instant now = T0;
  Transition last;
  final List<EvidenceEvent> evidence = new ArrayList<>();

  private Flow(Order order, EvidenceEvent placed) {
    this.order = order;
    this.evidence.add(placed);
  }

  static Flow place(int quantity, SkuPolicy policy) {
    return place(quantity, policy, 250);
  }

  static Flow place(int quantity, SkuPolicy policy, int feeBasisPoints) {
    return place(quantity, policy, feeBasisPoints, List.of());
  }

  static Flow place(int quantity, SkuPolicy policy, int feeBasisPoints, List<BackupSource> backups) {
    Transition placed = Order.place(
        new OrderDraft(ORDER_ID, MERCHANT_ID, "sku-1", quantity, PRICE, feeBasisPoints, policy, backups), T0);
    assertThat(placed.order().state()).isEqualTo(OrderState.AWAITING_PAYMENT);
    assertThat(placed.evidence()).singleElement().extracting(EvidenceEvent::type).isEqualTo(EvidenceType.ORDER_PLACED);
    return new Flow(placed.order(), placed.evidence().get(0));
  }

  static SkuPolicy.Builder policy() {
    return SkuPolicy.builder()
        .payWithin(Duration.ofMinutes(15))
        .deliverWithin(Duration.ofMinutes(10))
        .resupplyWithin(Duration.ofMinutes(30))
        .maxResupplyAttempts(2)
        .validateWithin(Duration.ofMinutes(5))
        .inspectionWindow(Duration.ofHours(24))
        .maxHold(Duration.ofDays(7));
  }

  static String fp(int n) {
    return String.format("%064x", n);
  }

  static String key(int unit, int delivery) {
    return "k-" + unit + "-" + delivery;
  }

  Flow advance(Duration duration) {
    now = now.plus(duration);
    return this;
  }

  Flow at(Instant instant) {
    now = instant;
    return this;
  }

  Outcome send(OrderEvent event) {
    return order.on(event, now);
  }

  /** Applies an event that must be accepted and change the order. */
  Transition apply(OrderEvent event) {
    Outcome outcome = send(event);
    assertThat(outcome).as("outcome of %s in %s", event, order.state()).isInstanceOf(Transition.class);
    Transition transition = (Transition) outcome;
    assertThat(transition.duplicate()).as("duplicate").isFalse();
    assertThat(Posting.isBalanced(transition.postings())).isTrue();
    assertThat(transition.order().version()).isEqualTo(order.version() + 1);
    evidence.addAll(transition.evidence());
    assertThat(EvidenceChain.verify(evidence)).isEmpty();
    assertThat(transition.order().lastEvidenceHash()).isEqualTo(evidence.get(evidence.size() - 1).hash());
    order = transition.order();
    last = transition;
    return transition;
  }

  /** Sends an event that must be recognised as already applied. */
  Transition duplicate(OrderEvent event) {
    Outcome outcome = send(event);
    assertThat(outcome).isInstanceOf(Transition.class);
    Transition transition = (Transition) outcome;
    assertThat(transition.duplicate()).as("duplicate").isTrue();
    assertThat(transition.postings()).isEmpty();
    assertThat(transition.effects()).isEmpty();
    assertThat(transition.evidence()).isEmpty();
    assertThat(transition.order()).isEqualTo(order);
    return transition;
  }

  /** Sends an event that must be rejected with {@code code}. */
  Rejection reject(OrderEvent event, RejectionCode code) {
    Outcome outcome = send(event);
    assertThat(outcome).as("outcome of %s in %s", event, order.state()).isInstanceOf(Rejection.class);
    Rejection rejection = (Rejection) outcome;
    assertThat(rejection.code()).as("rejection %s", rejection.detail()).isEqualTo(code);
    return rejection;
  }

  Optional<OrderArrow> arrow() {
    return last.arrow();
  }

  // ---- shortcuts for common steps

  Flow pay() {
    apply(new OrderEvent.PaymentReceived("pay-1", order.total(), true));
    return this;
  }

  Flow deliverAll() {
    List<DeliveredKey> keys = new ArrayList<>();
    for (OrderUnit unit : order.units()) {
      int delivery = unit.deliveries() + 1;
      keys.add(new DeliveredKey(unit.index(), key(unit.index(), delivery), fp(unit.index() * 100 + delivery)));
    }
    apply(new OrderEvent.KeysDelivered(keys));
    return this;
  }

  Flow deliver(int unit) {
    int delivery = order.units().get(unit).deliveries() + 1;
    apply(OrderEvent.KeysDelivered.of(unit, key(unit, delivery), fp(unit * 100 + delivery)));
    return this;
  }

  Flow verdict(int unit, KeyVerdict verdict) {
    apply(new OrderEvent.UnitChecked(unit, order.units().get(unit).keyRef(), verdict));
    return this;
  }

  Flow allValid() {
    for (OrderUnit unit : order.units()) {
      if (unit.state() != UnitState.VALID) {
        verdict(unit.index(), KeyVerdict.VALID);
      }
    }
    return this;
  }

  /** Paid, delivered, every key valid: READY. */
  Flow ready() {
    pay().deliverAll().allValid();
    assertThat(order.state()).isEqualTo(OrderState.READY);
    return this;
  }

  Flow reveal() {
    apply(new OrderEvent.Reveal());
    return this;
  }

  Flow dueNow() {
    now = order.nextActionAt();
    apply(new OrderEvent.DeadlineReached());
    return this;
  }

  <E extends Effect> List<E> effects(Class<E> type) {
    return last.effects().stream().filter(type::isInstance).map(type::cast).toList();
  }

  Money posted(String account) {
    return last.postings().stream().filter(p -> p.account().equals(account)).map(Posting::amount)
        .reduce(Money.zero(PRICE.currency()), Money::plus);
  }
}
