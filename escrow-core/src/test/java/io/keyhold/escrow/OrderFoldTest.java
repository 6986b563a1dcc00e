package io.keyhold.escrow;

import static io.keyhold.escrow.Flow.PRICE;
import static io.keyhold.escrow.Flow.policy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.escrow.OrderEvent.PaymentReceived;
import io.keyhold.escrow.OrderEvent.Reveal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Order#onAll}: events that arrive together are one change, decided event by event. */
class OrderFoldTest {

  @Test
  void foldsEventsIntoOneChangeEqualToApplyingThemInTurn() {
    Flow flow = Flow.place(1, policy().build());
    Order placed = flow.order;
    List<OrderEvent> events = List.of(new PaymentReceived("pay-1", PRICE, true), new PaymentReceived("pay-2", PRICE,
        true));

    Transition folded = (Transition) placed.onAll(events, flow.now);
    Transition first = flow.apply(events.get(0));
    Transition second = flow.apply(events.get(1));

    assertThat(folded.duplicate()).isFalse();
    assertThat(folded.from()).isEqualTo(OrderState.AWAITING_PAYMENT);
    assertThat(folded.order()).isEqualTo(second.order());
    assertThat(folded.order().version()).isEqualTo(placed.version() + 2);
    assertThat(folded.postings()).containsExactlyElementsOf(concat(first.postings(), second.postings()));
    assertThat(folded.evidence()).containsExactlyElementsOf(concat(first.evidence(), second.evidence()));
    assertThat(folded.effects()).containsExactlyElementsOf(concat(first.effects(), second.effects()));
  }

  @Test
  void leavesOutTheCheckOfAKeyTheSameChangeJudged() {
    Flow flow = Flow.place(2, policy().build()).pay();
    List<OrderEvent.DeliveredKey> keys = List.of(
        new OrderEvent.DeliveredKey(0, Flow.key(0, 1), Flow.fp(1)),
        new OrderEvent.DeliveredKey(1, Flow.key(1, 1), Flow.fp(101)));
    List<OrderEvent> deliveredAndJudged = List.of(new OrderEvent.KeysDelivered(keys),
        new OrderEvent.UnitChecked(0, Flow.key(0, 1), KeyVerdict.VALID),
        new OrderEvent.UnitChecked(1, Flow.key(1, 1), KeyVerdict.UNKNOWN));

    Transition folded = (Transition) flow.order.onAll(deliveredAndJudged, flow.now);

    // Unit 0 is judged: no check left to ask. Unit 1's verdict was unknown: asked again, as its second check.
    List<Effect.ValidateUnit> checks = folded.effects().stream()
        .filter(Effect.ValidateUnit.class::isInstance).map(Effect.ValidateUnit.class::cast).toList();
    assertThat(checks).singleElement().satisfies(check -> {
      assertThat(check.unit()).isEqualTo(1);
      assertThat(check.attempt()).isEqualTo(2);
    });
    assertThat(folded.order().units().get(0).state()).isEqualTo(UnitState.VALID);
  }

  @Test
  void keepsTheCheckOfADeliveredKeyNoEventOfTheChangeJudged() {
    Flow flow = Flow.place(1, policy().build()).pay();
    OrderEvent delivery = new OrderEvent.KeysDelivered(List.of(new OrderEvent.DeliveredKey(0, Flow.key(0, 1),
        Flow.fp(1))));

    Transition folded = (Transition) flow.order.onAll(List.of(delivery), flow.now);

    assertThat(folded.effects()).containsExactlyElementsOf(flow.apply(delivery).effects());
    assertThat(folded.effects()).anyMatch(Effect.ValidateUnit.class::isInstance);
  }

  @Test
  void answersTheFirstRejectionAndNothingOfTheOtherEvents() {
    Flow flow = Flow.place(1, policy().build());

    Outcome outcome = flow.order.onAll(List.of(new PaymentReceived("pay-1", PRICE, true), new Reveal()), flow.now);

    assertThat(outcome).isInstanceOf(Rejection.class);
    assertThat(((Rejection) outcome).code()).isEqualTo(RejectionCode.KEYS_NOT_READY);
  }

  @Test
  void isADuplicateWhenNoEventChangesTheOrder() {
    Flow flow = Flow.place(1, policy().build()).pay();

    Transition repeated = (Transition) flow.order.onAll(List.of(new PaymentReceived("pay-1", PRICE, true)), flow.now);
    Transition none = (Transition) flow.order.onAll(List.of(), flow.now);

    for (Transition transition : List.of(repeated, none)) {
      assertThat(transition.duplicate()).isTrue();
      assertThat(transition.order()).isSameAs(flow.order);
      assertThat(transition.postings()).isEmpty();
      assertThat(transition.evidence()).isEmpty();
      assertThat(transition.effects()).isEmpty();
    }
  }

  @Test
  void refusesMoreEventsThanOneChangeMayHold() {
    Flow flow = Flow.place(1, policy().build());
    List<OrderEvent> tooMany = Collections.nCopies(Order.EVENTS_AT_ONCE_MAX + 1, new Reveal());

    assertThatThrownBy(() -> flow.order.onAll(tooMany, flow.now)).isInstanceOf(IllegalArgumentException.class);
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
