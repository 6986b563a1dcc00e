package io.keyhold.escrow;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks an order's evidence, as exported to a buyer, shop or arbiter, without trusting who kept it.
 */
public final class EvidenceChain {

  private EvidenceChain() {}

  /**
   * The first problem in {@code events} — the whole chain of one order, oldest first — or empty when
   * it is intact: one order id, sequence numbers 1, 2, 3..., the first linked to
   * {@link EvidenceEvent#GENESIS_HASH}, each linked to the hash of the one before, every hash
   * matching its fields, and time never running backwards.
   */
  public static Optional<String> verify(List<EvidenceEvent> events) {
    Objects.requireNonNull(events, "events must not be null");
    if (events.isEmpty()) {
      return Optional.of("the chain is empty");
    }
    String orderId = events.get(0).orderId();
    String previousHash = EvidenceEvent.GENESIS_HASH;
    EvidenceEvent previous = null;
    for (int i = 0; i < events.size(); i++) {
      EvidenceEvent event = events.get(i);
      long expectedSeq = i + 1L;
      if (!event.orderId().equals(orderId)) {
        return Optional.of("event " + expectedSeq + " belongs to order " + event.orderId() + ", not " + orderId);
      }
      if (event.seq() != expectedSeq) {
        return Optional.of("event " + expectedSeq + " has sequence number " + event.seq());
      }
      if (!event.prevHash().equals(previousHash)) {
        return Optional.of("event " + expectedSeq + " does not link to the hash of the event before it");
      }
      if (!event.hash().equals(event.expectedHash())) {
        return Optional.of("event " + expectedSeq + " was altered: its hash does not match its content");
      }
      if (previous != null && event.at().isBefore(previous.at())) {
        return Optional.of("event " + expectedSeq + " is dated before the event before it");
      }
      previousHash = event.hash();
      previous = event;
    }
    return Optional.empty();
  }
}
