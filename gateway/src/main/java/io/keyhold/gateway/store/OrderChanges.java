package io.keyhold.gateway.store;

import io.keyhold.escrow.Order;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces stored order changes, after their transaction committed, on the Vert.x event bus at
 * {@code keyhold.order.<order id>} (see {@link #address}). The message is a small JSON object:
 * {@code {order_id, merchant_id, state, version, next_action_at}} — never keys or tokens; a listener
 * that needs more loads the order. Published locally (this gateway instance's event bus): a
 * listener on another instance sees the change when it next loads the order.
 *
 * <p>In-process listeners ({@link #listen}) get the committed {@link Order}; the outbox dispatcher
 * uses this to run new effects at once instead of waiting for its next poll.
 */
public final class OrderChanges {
  private static final Logger LOG = LoggerFactory.getLogger(OrderChanges.class);
  /** Event-bus address prefix; the order id follows. */
  public static final String ADDRESS_PREFIX = "keyhold.order.";

  private final Vertx vertx;
  private final List<Consumer<Order>> listeners = new CopyOnWriteArrayList<>();

  public OrderChanges(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The event-bus address of one order's changes. */
  public static String address(String orderId) {
    return ADDRESS_PREFIX + orderId;
  }

  /** Calls {@code listener} with every committed order change of this instance. */
  public void listen(Consumer<Order> listener) {
    listeners.add(listener);
  }

  /**
   * Announces a committed change (after the transaction that stored it committed). A listener's
   * failure is logged, never thrown: it must not turn a committed change into a reported failure.
   */
  public void announce(Order order) {
    try {
      published(order);
    } catch (RuntimeException e) {
      LOG.warn("an order change listener failed for order {}: {}", order.id(), e.toString());
    }
  }

  private void published(Order order) {
    Instant next = order.nextActionAt();
    JsonObject message = new JsonObject()
        .put("order_id", order.id())
        .put("merchant_id", order.merchantId())
        .put("state", order.state().code())
        .put("version", order.version())
        .put("next_action_at", next == null ? null : next.toString());
    vertx.eventBus().publish(address(order.id()), message);
    for (Consumer<Order> listener : listeners) {
      listener.accept(order);
    }
  }
}
