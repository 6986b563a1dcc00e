package io.keyhold.gateway.store;

import java.time.Instant;
import java.util.List;

/**
 * Who runs the effects of the changes this instance commits, right after the commit (the order engine's outbox
 * dispatcher, when this instance runs workers). A change due to run an effect now writes its outbox row claimed
 * already — in this instance's name, its lease running, its attempt counted — so no other instance takes it and no
 * claim statement is spent on it; the outbox stays the safety net: an instance that dies before the effect ran has
 * its claims handed back by the others' heartbeat, as for any claimed row.
 */
public interface EffectClaims {
  /** The instance the rows are claimed for ({@code outbox.claimed_by}). */
  String claimant();

  /** Until when a row claimed at {@code now} stays this instance's (its lease). */
  Instant leaseUntil(Instant now);

  /**
   * Called once the change that wrote {@code claimed} committed; {@code othersQueued} when the change also wrote
   * rows due later, or rows another change had written already, which the outbox finds by its own claims.
   */
  void committed(List<OutboxRow> claimed, boolean othersQueued);

  /** Called once rows written claimed, due {@code delayMs} after their commit, committed; they run then. */
  void dueIn(long delayMs, List<OutboxRow> claimed);
}
