package io.keyhold.gateway.engine;

import com.github.benmanes.caffeine.cache.Cache;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.escrow.KeyVerdict;
import io.keyhold.escrow.Order;
import io.keyhold.gateway.adapters.MerchantAdapters;
import io.keyhold.gateway.store.Catalog;
import io.keyhold.gateway.store.ShortLivedCache;
import io.keyhold.gateway.store.Sku;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a delivered key is judged: by every validator of its order's SKU, combined. When all of them decide from
 * the key alone ({@link KeyValidator#local()}: a format rule), or the SKU has none, the key is judged as it is
 * delivered ({@link #onDelivery}) and the verdict goes into the delivery's own change: funded → ready is one
 * write, and no {@code validate_unit} effect is queued, claimed and run for it. A SKU with a validator that asks
 * someone (an issuer's API) is judged by that effect after the delivery commits, so no transaction stays open
 * across the call.
 */
final class KeyChecks {
  /** SKUs kept with their validators (a SKU is created with them; the API never changes them). */
  static final int SKUS_CACHED_MAX = 10_000;

  private final Pool pool;
  private final Catalog catalog;
  private final MerchantAdapters adapters;
  private final Cache<String, Sku> skus = ShortLivedCache.of(SKUS_CACHED_MAX);

  KeyChecks(Pool pool, Catalog catalog, MerchantAdapters adapters) {
    this.pool = pool;
    this.catalog = catalog;
    this.adapters = adapters;
  }

  /** The validators of {@code order}'s SKU; fails when the SKU is gone. */
  Future<List<KeyValidator>> validatorsOf(Order order) {
    String cacheKey = order.merchantId() + "/" + order.skuId();
    Sku kept = skus.getIfPresent(cacheKey);
    Future<Sku> sku = kept != null ? Future.succeededFuture(kept)
        : catalog.find(pool, order.merchantId(), order.skuId()).onSuccess(found -> {
          if (found != null) {
            skus.put(cacheKey, found);
          }
        });
    return sku.compose(found -> found == null
        ? Future.failedFuture(new IllegalStateException("the SKU of order " + order.id() + " is gone"))
        : adapters.validatorsOf(found));
  }

  /**
   * The verdict on each good key of {@code delivered}, by unit, when every validator of the order's SKU is local;
   * no verdicts (an empty map) when one asks someone, or when the SKU cannot be read now: those keys are judged by
   * the effect the delivery queues. Refused keys are left out (they are invalid without a check).
   */
  Future<Map<Integer, KeyVerdict>> onDelivery(Order order, List<DeliveredKey> delivered) {
    if (delivered.stream().allMatch(DeliveredKey::refused)) {
      return Future.succeededFuture(Map.of());
    }
    return localValidatorsOf(order).compose(local -> onDelivery(local, order, delivered));
  }

  /**
   * The validators of the order's SKU when every one of them is local, else none (one asks someone, or the SKU
   * cannot be read now: no verdict on delivery). Read before a transaction that takes keys, so
   * {@link #onDelivery(Optional, Order, List)} inside it waits for no second connection of the pool.
   */
  Future<Optional<List<KeyValidator>>> localValidatorsOf(Order order) {
    return validatorsOf(order).transform(read -> Future.succeededFuture(
        read.succeeded() && read.result().stream().allMatch(KeyValidator::local)
            ? Optional.of(read.result()) : Optional.empty()));
  }

  /** {@link #onDelivery(Order, List)} with the SKU's local validators in hand ({@link #localValidatorsOf}). */
  Future<Map<Integer, KeyVerdict>> onDelivery(Optional<List<KeyValidator>> local, Order order,
      List<DeliveredKey> delivered) {
    if (local.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Map<Integer, Future<KeyVerdict>> checks = new HashMap<>();
    for (DeliveredKey key : delivered) {
      if (!key.refused()) {
        checks.put(key.unit().value(), verdict(local.get(), order.skuId(), key.key()));
      }
    }
    return Future.all(new ArrayList<>(checks.values())).map(all -> {
      Map<Integer, KeyVerdict> verdicts = new HashMap<>();
      checks.forEach((unit, check) -> verdicts.put(unit, check.result()));
      return verdicts;
    });
  }

  /**
   * Every validator's verdict, combined: any {@code INVALID} or {@code REDEEMED} wins (in that order),
   * then any {@code UNKNOWN}; {@code VALID} only when every validator says so. With no validator
   * configured only the global fingerprint check applies, which the key passed on delivery.
   */
  static Future<KeyVerdict> verdict(List<KeyValidator> validators, String skuId, CardKey key) {
    List<Future<KeyVerdict>> checks = new ArrayList<>();
    for (KeyValidator validator : validators) {
      Future<KeyVerdict> check;
      try {
        check = validator.check(skuId, key);
      } catch (RuntimeException e) {
        check = Future.failedFuture(e);
      }
      checks.add(check.recover(failure -> Future.succeededFuture(KeyVerdict.UNKNOWN)));
    }
    return Future.all(checks).map(all -> combine(checks.stream().map(Future::result).toList()));
  }

  static KeyVerdict combine(List<KeyVerdict> verdicts) {
    if (verdicts.contains(KeyVerdict.INVALID)) {
      return KeyVerdict.INVALID;
    }
    if (verdicts.contains(KeyVerdict.REDEEMED)) {
      return KeyVerdict.REDEEMED;
    }
    if (verdicts.contains(KeyVerdict.UNKNOWN)) {
      return KeyVerdict.UNKNOWN;
    }
    return KeyVerdict.VALID;
  }
}
