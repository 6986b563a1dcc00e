package io.keyhold.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.BehaviourMix;
import io.keyhold.simulator.PaymentChaos;
import io.keyhold.simulator.Profile;
import io.keyhold.simulator.SimulationConfig;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BuyerPlansTest {
  private static SimulationConfig.Builder config() {
    return SimulationConfig.builder(Profile.STEADY).buyers(10_000).stockShops(2).httpShops(1).quantity(1, 3)
        .behaviours(new BehaviourMix(0.6, 0.1, 0.1, 0.2, 0)).chaos(new PaymentChaos(0.1, 0.1, 0.1, false)).seed(99);
  }

  @Test
  void theSameSeedReplaysTheSameCrowd() {
    List<BuyerPlan> first = BuyerPlans.draw(config().build());
    List<BuyerPlan> again = BuyerPlans.draw(config().build());
    List<BuyerPlan> other = BuyerPlans.draw(config().seed(100).build());

    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void choicesFollowTheConfiguredMixAndRanges() {
    List<BuyerPlan> plans = BuyerPlans.draw(config().build());

    assertThat(plans).extracting(BuyerPlan::quantity).allMatch(q -> q >= 1 && q <= 3).contains(1, 2, 3);
    assertThat(plans).extracting(BuyerPlan::shop).allMatch(s -> s >= 0 && s < 3).contains(0, 1, 2);
    assertThat(plans).extracting(BuyerPlan::thinkMs).allMatch(t -> t >= 0 && t <= 200);
    Map<Behaviour, Long> behaviours = plans.stream()
        .collect(Collectors.groupingBy(BuyerPlan::behaviour, Collectors.counting()));
    assertThat(behaviours.get(Behaviour.CONFIRM) / 10_000.0).isBetween(0.57, 0.63);
    assertThat(behaviours.get(Behaviour.ABANDON) / 10_000.0).isBetween(0.18, 0.22);
    assertThat(behaviours).doesNotContainKey(Behaviour.INSPECT);
    Map<PaymentMove, Long> payments = plans.stream()
        .collect(Collectors.groupingBy(BuyerPlan::payment, Collectors.counting()));
    assertThat(payments.get(PaymentMove.NORMAL) / 10_000.0).isBetween(0.67, 0.73);
    assertThat(payments.get(PaymentMove.LATE) / 10_000.0).isBetween(0.08, 0.12);
  }

  @Test
  void plansComeInArrivalOrderWithTheirIndex() {
    List<BuyerPlan> plans = BuyerPlans.draw(config().build());

    assertThat(plans).extracting(BuyerPlan::arrivalMs).isSorted();
    for (int i = 0; i < plans.size(); i++) {
      assertThat(plans.get(i).index()).isEqualTo(i);
    }
    assertThat(plans.stream().map(BuyerPlan::buyerRef).collect(Collectors.toSet())).hasSize(plans.size());
  }

  @Test
  void aBuyersChoicesDoNotDependOnHowManyOthersThereAre() {
    Function<Integer, BuyerPlan> fifth = buyers -> BuyerPlans.draw(config().buyers(buyers).build()).get(5);

    BuyerPlan inSmallCrowd = fifth.apply(10);
    BuyerPlan inLargeCrowd = fifth.apply(1_000);
    assertThat(inLargeCrowd.behaviour()).isEqualTo(inSmallCrowd.behaviour());
    assertThat(inLargeCrowd.quantity()).isEqualTo(inSmallCrowd.quantity());
    assertThat(inLargeCrowd.payment()).isEqualTo(inSmallCrowd.payment());
  }
}
