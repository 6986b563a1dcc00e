package io.keyhold.escrow;

import static io.keyhold.escrow.Flow.policy;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvidenceChainTest {

  private static List<EvidenceEvent> wholeLife() {
    Flow flow = Flow.place(2, policy().build()).ready().advance(Duration.ofMinutes(1)).reveal();
    flow.apply(new OrderEvent.Confirm());
    return new ArrayList<>(flow.evidence);
  }

  @Test
  void acceptsAnUntouchedChain() {
    List<EvidenceEvent> chain = wholeLife();

    assertThat(EvidenceChain.verify(chain)).isEmpty();
    assertThat(chain).extracting(EvidenceEvent::seq).containsExactly(
        java.util.stream.LongStream.rangeClosed(1, chain.size()).boxed().toArray(Long[]::new));
    assertThat(chain.get(0).prevHash()).isEqualTo(EvidenceEvent.GENESIS_HASH);
  }

  @Test
  void detectsAnAlteredDetail() {
    List<EvidenceEvent> chain = wholeLife();
    EvidenceEvent funded = chain.get(1);
    Map<String, String> forged = new HashMap<>(funded.details());
    forged.put("amount", "1 EUR");
    chain.set(1, new EvidenceEvent(funded.orderId(), funded.seq(), funded.type(), funded.at(), forged,
        funded.prevHash(), funded.hash()));

    assertThat(EvidenceChain.verify(chain)).contains("event 2 was altered: its hash does not match its content");
  }

  @Test
  void detectsARemovedEvent() {
    List<EvidenceEvent> chain = wholeLife();
    chain.remove(2);

    assertThat(EvidenceChain.verify(chain)).contains("event 3 has sequence number 4");
  }

  @Test
  void detectsAnEventRewrittenWithAFreshHash() {
    List<EvidenceEvent> chain = wholeLife();
    EvidenceEvent original = chain.get(2);
    chain.set(2, EvidenceEvent.link(original.orderId(), original.seq(), original.type(), original.at(),
        Map.of("unit", "0"), original.prevHash()));

    assertThat(EvidenceChain.verify(chain)).contains("event 4 does not link to the hash of the event before it");
  }

  @Test
  void detectsEventsFromAnotherOrderAndAnEmptyChain() {
    List<EvidenceEvent> chain = wholeLife();
    EvidenceEvent first = chain.get(0);
    chain.set(0, EvidenceEvent.link("o-2", 1, first.type(), first.at(), first.details(), first.prevHash()));

    assertThat(EvidenceChain.verify(chain)).contains("event 2 belongs to order o-1, not o-2");
    assertThat(EvidenceChain.verify(List.of())).contains("the chain is empty");
  }

  @Test
  void hashesTheSameFieldsToTheSameValue() {
    EvidenceEvent a = EvidenceEvent.link("o-9", 1, EvidenceType.ORDER_PLACED, Flow.T0,
        Map.of("b", "2", "a", "1"), EvidenceEvent.GENESIS_HASH);
    EvidenceEvent b = EvidenceEvent.link("o-9", 1, EvidenceType.ORDER_PLACED, Flow.T0,
        Map.of("a", "1", "b", "2"), EvidenceEvent.GENESIS_HASH);
    EvidenceEvent shifted = EvidenceEvent.link("o-9", 1, EvidenceType.ORDER_PLACED, Flow.T0,
        Map.of("a", "1,", "b", "2"), EvidenceEvent.GENESIS_HASH);

    assertThat(a.hash()).isEqualTo(b.hash()).isNotEqualTo(shifted.hash()).hasSize(64);
  }
}
