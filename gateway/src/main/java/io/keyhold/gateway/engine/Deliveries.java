package io.keyhold.gateway.engine;

import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.gateway.store.KeyStore;
import io.keyhold.gateway.store.OrderStore;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Hands delivered keys to their order: in one transaction the keys are sealed and stored
 * ({@link KeyStore}), their fingerprints claimed in the global index, and the order told
 * {@code KeysDelivered} — followed by {@code DuplicateKeyFound} for every key whose fingerprint was
 * already delivered elsewhere, so a key sold twice never reaches a buyer.
 */
public final class Deliveries {
  private final OrderStore orders;
  private final KeyStore keys;

  public Deliveries(OrderStore orders, KeyStore keys) {
    this.orders = Objects.requireNonNull(orders, "orders");
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  /**
   * Keys from the merchant's adapter for an order (a delivery or a replacement). Keys for units that
   * do not await one (already holding a key under check, or valid) are left out rather than refused:
   * the adapter answered a repeated or stale request.
   */
  public Future<OrderStore.Applied> fromAdapter(String orderId, String source, List<DeliveredKey> delivered) {
    return orders.apply(orderId, null, (tx, current, now) -> {
      Order order = current.order();
      List<KeyStore.Incoming> incoming = new ArrayList<>();
      for (DeliveredKey key : delivered) {
        int unit = key.unit().value();
        if (unit < order.quantity() && order.units().get(unit).state().lacksUsableKey()) {
          incoming.add(new KeyStore.Incoming(unit, key.key()));
        }
      }
      if (incoming.isEmpty() || order.isTerminal()) {
        return Future.succeededFuture(List.of());
      }
      return keys.store(tx, order.merchantId(), order.skuId(), order.id(), source, incoming).map(Deliveries::events);
    });
  }

  /**
   * Keys the merchant pushed ({@code POST /v1/orders/{id}/deliveries}); the order judges them as they
   * are, so a push for a unit that holds another key is refused and nothing is stored. The caller
   * checks the unit indices are inside the order first.
   */
  public Future<OrderStore.Applied> pushed(String orderId, String merchantId, List<KeyStore.Incoming> incoming) {
    return orders.apply(orderId, merchantId, (tx, current, now) -> {
      Order order = current.order();
      return keys.store(tx, order.merchantId(), order.skuId(), order.id(), KeyStore.SOURCE_PUSH, incoming)
          .map(Deliveries::events);
    });
  }

  private static List<OrderEvent> events(List<KeyStore.Stored> stored) {
    List<OrderEvent.DeliveredKey> delivered = new ArrayList<>();
    List<OrderEvent> duplicates = new ArrayList<>();
    for (KeyStore.Stored key : stored) {
      delivered.add(new OrderEvent.DeliveredKey(key.unit(), key.keyRef(), key.fingerprint()));
      if (key.duplicate()) {
        duplicates.add(new OrderEvent.DuplicateKeyFound(key.unit(), key.keyRef()));
      }
    }
    List<OrderEvent> events = new ArrayList<>();
    events.add(new OrderEvent.KeysDelivered(delivered));
    events.addAll(duplicates);
    return events;
  }
}
