package io.keyhold.gateway.store;

import io.keyhold.escrow.Order;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces stored order changes to this gateway instance's listeners ({@link #listen}), after the transaction
 * that stored them committed. A listener gets the committed {@link Order}: the outbox dispatcher runs new effects at
 * once instead of waiting for its next poll (only after changes that queued some, {@link #listenQueued}), and live
 * buyer pages get the order's new view without reading the order
 * again. Listeners on another instance see the change when they next load the order (the event streams'
 * heartbeat does).
 */
public final class OrderChanges {
  private static final Logger LOG = LoggerFactory.getLogger(OrderChanges.class);

  private final List<Consumer<Order>> listeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> queuedListeners = new CopyOnWriteArrayList<>();
  private final List<BiConsumer<StoredOrder, List<ClaimedEffect>>> claimedListeners = new CopyOnWriteArrayList<>();

  /** Calls {@code listener} with every committed order change of this instance. */
  public void listen(Consumer<Order> listener) {
    listeners.add(listener);
  }

  /**
   * Calls {@code listener} after every committed change of this instance that queued outbox rows (or may have): the
   * outbox claims them at once. A change that queued none (an order placed, a buyer's reveal) does not call it, so
   * it costs no claim that finds nothing.
   */
  public void listenQueued(Runnable listener) {
    queuedListeners.add(listener);
  }

  /**
   * Calls {@code listener} with the outbox rows a committed change of this instance queued and claimed for it as it
   * was stored ({@link OrderStore#claimEffectsAs}), and the order as stored: the outbox runs them at once.
   */
  public void listenClaimed(BiConsumer<StoredOrder, List<ClaimedEffect>> listener) {
    claimedListeners.add(listener);
  }

  /**
   * Announces a committed change stored as {@code stored}: the outbox rows it queued claimed for this instance, and
   * whether it queued others.
   */
  public void announce(StoredOrder stored, List<ClaimedEffect> claimed, boolean queued) {
    if (!claimed.isEmpty()) {
      for (BiConsumer<StoredOrder, List<ClaimedEffect>> listener : claimedListeners) {
        try {
          listener.accept(stored, claimed);
        } catch (RuntimeException e) {
          LOG.warn("an outbox listener failed for order {}: {}", stored.id(), e.toString());
        }
      }
    }
    announce(stored.order(), queued);
  }

  /** Announces a committed change that may have queued outbox rows (see {@link #announce(Order, boolean)}). */
  public void announce(Order order) {
    announce(order, true);
  }

  /**
   * Announces a committed change (after the transaction that stored it committed); {@code queued}: whether it queued
   * outbox rows. A listener's failure is logged, never thrown: it must not turn a committed change into a reported
   * failure.
   */
  public void announce(Order order, boolean queued) {
    for (Consumer<Order> listener : listeners) {
      try {
        listener.accept(order);
      } catch (RuntimeException e) {
        LOG.warn("an order change listener failed for order {}: {}", order.id(), e.toString());
      }
    }
    if (!queued) {
      return;
    }
    for (Runnable listener : queuedListeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("an outbox listener failed for order {}: {}", order.id(), e.toString());
      }
    }
  }
}
