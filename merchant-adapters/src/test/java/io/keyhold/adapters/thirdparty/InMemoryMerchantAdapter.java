package io.keyhold.adapters.thirdparty;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.Refusal;
import io.keyhold.adapters.spi.ReplaceReason;
import io.keyhold.adapters.spi.Reservation;
import io.keyhold.adapters.spi.UnitIndex;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A third-party adapter that lives outside the module's main code, as a shop's own jar would: keys in
 * memory, registered through its own {@code META-INF/services} entry. It exists to show that the
 * ServiceLoader discovery and the contract test work for adapters Keyhold did not write.
 */
final class InMemoryMerchantAdapter implements MerchantAdapter {

  private final String merchantId;
  private final Clock clock;
  private final Map<String, Deque<String>> free = new HashMap<>();
  private final Map<String, Deque<String>> held = new HashMap<>();
  private final Map<String, String> reservationSku = new HashMap<>();
  private final Set<String> consumed = new HashSet<>();
  private final Map<String, String> keys = new HashMap<>();
  private final Set<String> ordersDelivered = new HashSet<>();

  InMemoryMerchantAdapter(String merchantId, Clock clock, Map<String, Integer> stock) {
    this.merchantId = merchantId;
    this.clock = clock;
    stock.forEach((sku, count) -> {
      Deque<String> skuKeys = new ArrayDeque<>();
      for (int i = 0; i < count; i++) {
        skuKeys.add("mem-" + sku + "-" + i);
      }
      free.put(sku, skuKeys);
    });
  }

  @Override
  public synchronized Future<Reservation> reserve(String skuId, int quantity, Instant until) {
    try {
      Reservation.requireQuantity(quantity);
      if (!until.isAfter(clock.instant())) {
        throw new IllegalArgumentException("until must be in the future, but was " + until);
      }
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    Deque<String> skuKeys = free.get(skuId);
    if (skuKeys == null) {
      return refused(Refusal.UNKNOWN_SKU);
    }
    if (skuKeys.size() < quantity) {
      return refused(Refusal.OUT_OF_STOCK);
    }
    String id = "mem-res-" + UUID.randomUUID();
    Deque<String> hold = new ArrayDeque<>();
    for (int i = 0; i < quantity; i++) {
      hold.add(skuKeys.poll());
    }
    held.put(id, hold);
    reservationSku.put(id, skuId);
    return Future.succeededFuture(new Reservation(id, merchantId, skuId, quantity, until));
  }

  @Override
  public synchronized Future<List<DeliveredKey>> provide(OrderRef order, List<UnitIndex> units) {
    if (!order.merchantId().equals(merchantId) || units.isEmpty() || units.size() > UNITS_PER_CALL_MAX
        || new HashSet<>(units).size() != units.size()) {
      return Future.failedFuture(new IllegalArgumentException("bad order or units"));
    }
    Deque<String> skuKeys = free.get(order.skuId());
    if (skuKeys == null) {
      return refused(Refusal.UNKNOWN_SKU);
    }
    Deque<String> hold = order.reservation().map(held::get).orElse(null);
    List<DeliveredKey> delivered = new ArrayList<>();
    for (UnitIndex unit : units.stream().sorted().toList()) {
      String slot = order.orderId() + "/" + unit.value();
      String key = keys.get(slot);
      if (key == null) {
        key = hold != null && !hold.isEmpty() ? hold.poll() : skuKeys.poll();
        if (key == null) {
          continue;
        }
        order.reservation().ifPresent(consumed::add);
        keys.put(slot, key);
      }
      delivered.add(new DeliveredKey(unit, CardKey.of(key)));
    }
    if (delivered.isEmpty()) {
      return refused(Refusal.OUT_OF_STOCK);
    }
    ordersDelivered.add(order.orderId());
    return Future.succeededFuture(List.copyOf(delivered));
  }

  @Override
  public synchronized Future<DeliveredKey> replace(OrderRef order, UnitIndex unit, int attempt, ReplaceReason reason) {
    if (attempt < 1 || attempt > REPLACE_ATTEMPTS_MAX) {
      return Future.failedFuture(new IllegalArgumentException("attempt must be between 1 and 20, but was " + attempt));
    }
    if (!ordersDelivered.contains(order.orderId())) {
      return refused(Refusal.UNKNOWN_ORDER);
    }
    if (!keys.containsKey(order.orderId() + "/" + unit.value())) {
      return refused(Refusal.NOT_DELIVERED);
    }
    String slot = order.orderId() + "/" + unit.value() + "#" + attempt;
    String key = keys.get(slot);
    if (key == null) {
      key = free.get(order.skuId()).poll();
      if (key == null) {
        return refused(Refusal.OUT_OF_STOCK);
      }
      keys.put(slot, key);
    }
    return Future.succeededFuture(new DeliveredKey(unit, CardKey.of(key)));
  }

  @Override
  public synchronized Future<Void> cancel(Reservation reservation) {
    String id = reservation.reservationId();
    if (consumed.contains(id)) {
      return refused(Refusal.RESERVATION_CONSUMED);
    }
    Deque<String> hold = held.remove(id);
    if (hold != null) {
      free.get(reservationSku.get(id)).addAll(hold);
    }
    return Future.succeededFuture();
  }

  private static <T> Future<T> refused(Refusal refusal) {
    return Future.failedFuture(new MerchantRefusedException(refusal, "in-memory shop"));
  }
}
