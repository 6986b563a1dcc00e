package io.keyhold.gateway.engine;

import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.escrow.KeyVerdict;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.gateway.store.KeyStore;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.StoredOrder;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands delivered keys to their order: in one transaction the keys are sealed and stored
 * ({@link KeyStore}), their fingerprints claimed in the global index, and the order told
 * {@code KeysDelivered} — followed by {@code DuplicateKeyFound} for every key whose fingerprint was
 * already delivered elsewhere, so a key sold twice never reaches a buyer, by an {@code INVALID}
 * verdict for every key the shop sent with a control character, which is fingerprinted but never stored,
 * and by the verdicts of the checks made as the keys arrived ({@link KeyChecks#onDelivery}) for the others.
 */
public final class Deliveries {
  private static final Logger LOG = LoggerFactory.getLogger(Deliveries.class);
  private final OrderStore orders;
  private final KeyStore keys;

  public Deliveries(OrderStore orders, KeyStore keys) {
    this.orders = Objects.requireNonNull(orders, "orders");
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  /**
   * Keys from the merchant's adapter for an order just read (a delivery or a replacement): decided on it, read again
   * only if it moved. Keys for units that do not await one (already holding a key under check, or valid) are left
   * out rather than refused: the adapter answered a repeated or stale request. {@code verdicts} are the checks
   * already made of the keys, by unit (see {@link KeyChecks#onDelivery}).
   */
  public Future<OrderStore.Applied> fromAdapter(StoredOrder loaded, String source, List<DeliveredKey> delivered,
      Map<Integer, KeyVerdict> verdicts) {
    return orders.apply(loaded, fromAdapter(source, 0, null, delivered, verdicts));
  }

  /**
   * {@link #fromAdapter(StoredOrder, String, List, Map)} in the caller's transaction {@code tx}, which took the keys
   * from stock: see {@link OrderStore#applyWithin} for what fails; the caller commits, then announces the change.
   */
  public Future<OrderStore.Applied> fromStockWithin(SqlClient tx, StoredOrder loaded, List<DeliveredKey> delivered,
      Map<Integer, KeyVerdict> verdicts) {
    return orders.applyWithin(tx, loaded, fromAdapter(KeyStore.SOURCE_STOCK, 0, null, delivered, verdicts));
  }

  /**
   * The events of keys taken from stock in {@code tx} for {@code funded}, an order as a change not yet stored leaves
   * it (the payment that funds it), their keys stored in {@code tx}: that change decides them with its own events.
   */
  Future<List<OrderEvent>> fromStockDecidedWith(SqlClient tx, StoredOrder funded, Instant now,
      List<DeliveredKey> delivered, Map<Integer, KeyVerdict> verdicts) {
    return fromAdapter(KeyStore.SOURCE_STOCK, 0, null, delivered, verdicts).decide(tx, funded, now);
  }

  /**
   * Keys from the order's backup source number {@code sourceIndex} ({@code supplier}), for units supplied from it
   * now; keys for units at another source are left out, so a unit is paid to the source that delivered its key.
   */
  public Future<OrderStore.Applied> fromBackup(StoredOrder loaded, String source, int sourceIndex,
      KeyStore.Supplier supplier, List<DeliveredKey> delivered, Map<Integer, KeyVerdict> verdicts) {
    return orders.apply(loaded, fromAdapter(source, sourceIndex, supplier, delivered, verdicts));
  }

  private OrderStore.Decision fromAdapter(String source, int sourceIndex, KeyStore.Supplier supplier,
      List<DeliveredKey> delivered, Map<Integer, KeyVerdict> verdicts) {
    return (tx, current, now) -> {
      Order order = current.order();
      List<KeyStore.Incoming> incoming = new ArrayList<>();
      List<KeyStore.Stored> refused = new ArrayList<>();
      for (DeliveredKey key : delivered) {
        int unit = key.unit().value();
        if (unit < order.quantity() && order.units().get(unit).state().lacksUsableKey()
            && order.units().get(unit).source() == sourceIndex) {
          if (key.refused()) {
            LOG.warn("merchant {} sent a key with a control character for unit {} of order {}; it counts as invalid",
                order.merchantId(), unit, order.id());
            refused.add(keys.refused(order.id(), unit, key.refusedText()));
          } else {
            incoming.add(new KeyStore.Incoming(unit, key.key()));
          }
        }
      }
      if ((incoming.isEmpty() && refused.isEmpty()) || order.isTerminal()) {
        return Future.succeededFuture(List.of());
      }
      return keys.store(tx, order.merchantId(), order.skuId(), order.id(), source, supplier, firstFor(order, incoming),
              incoming)
          .map(stored -> events(stored, refused, verdicts));
    };
  }

  /**
   * Keys the merchant pushed ({@code POST /v1/orders/{id}/deliveries}); the order judges them as they
   * are, so a push for a unit that holds another key is refused and nothing is stored. The caller
   * checks the unit indices are inside the order first.
   */
  public Future<OrderStore.Applied> pushed(String orderId, String merchantId, List<KeyStore.Incoming> incoming) {
    return orders.apply(orderId, merchantId, (tx, current, now) -> {
      Order order = current.order();
      for (KeyStore.Incoming key : incoming) {
        if (order.units().get(key.unit()).source() > 0) {
          // The unit is supplied by a backup source now: its key, and the money for it, are that source's.
          return Future.failedFuture(Refusal.byOrder(io.keyhold.escrow.RejectionCode.STATE_DOES_NOT_ALLOW,
              "unit " + key.unit() + " of order " + order.id() + " is supplied by a backup source now"));
        }
      }
      return keys.store(tx, order.merchantId(), order.skuId(), order.id(), KeyStore.SOURCE_PUSH, null,
              firstFor(order, incoming), incoming)
          .map(stored -> events(stored, List.of(), Map.of()));
    });
  }

  /**
   * True when no unit of {@code incoming} was ever given a key, by {@code order} as the change is decided on (its
   * version check guards it): the key store need not look for these keys as a repeated delivery.
   */
  private static boolean firstFor(Order order, List<KeyStore.Incoming> incoming) {
    return incoming.stream().allMatch(key -> order.units().get(key.unit()).deliveries() == 0);
  }

  /**
   * The delivery, then what is already known of its keys: a duplicate is found, a refused key is
   * invalid (no validator ever sees it), any other key has the verdict checked on its arrival, if any.
   */
  private static List<OrderEvent> events(List<KeyStore.Stored> stored, List<KeyStore.Stored> refused,
      Map<Integer, KeyVerdict> checked) {
    List<OrderEvent.DeliveredKey> delivered = new ArrayList<>();
    List<OrderEvent> verdicts = new ArrayList<>();
    for (KeyStore.Stored key : stored) {
      delivered.add(new OrderEvent.DeliveredKey(key.unit(), key.keyRef(), key.fingerprint()));
      if (key.duplicate()) {
        verdicts.add(new OrderEvent.DuplicateKeyFound(key.unit(), key.keyRef()));
      } else if (checked.containsKey(key.unit())) {
        verdicts.add(new OrderEvent.UnitChecked(key.unit(), key.keyRef(), checked.get(key.unit())));
      }
    }
    for (KeyStore.Stored key : refused) {
      delivered.add(new OrderEvent.DeliveredKey(key.unit(), key.keyRef(), key.fingerprint()));
      verdicts.add(new OrderEvent.UnitChecked(key.unit(), key.keyRef(), KeyVerdict.INVALID));
    }
    delivered.sort((a, b) -> Integer.compare(a.unit(), b.unit()));
    List<OrderEvent> events = new ArrayList<>();
    events.add(new OrderEvent.KeysDelivered(delivered));
    events.addAll(verdicts);
    return events;
  }
}
