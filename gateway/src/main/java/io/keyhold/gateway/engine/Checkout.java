package io.keyhold.gateway.engine;

import com.github.benmanes.caffeine.cache.Cache;
import io.keyhold.adapters.spi.AdapterException;
import io.keyhold.adapters.spi.CallRejectedException;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Reservation;
import io.keyhold.escrow.BackupSource;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderDraft;
import io.keyhold.escrow.SkuPolicy;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.adapters.MerchantAdapters;
import io.keyhold.gateway.crypto.KeyVault;
import io.keyhold.gateway.store.Catalog;
import io.keyhold.gateway.store.DatabaseOutage;
import io.keyhold.gateway.store.Ids;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.StoredOrder;
import io.keyhold.gateway.store.OrderTokens;
import io.keyhold.gateway.store.OrderViews;
import io.keyhold.gateway.store.ShortLivedCache;
import io.keyhold.gateway.store.StockVault;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkout sessions: a new session reserves stock through the merchant's adapter, then places the
 * order (escrow-core {@code Order.place}) and stores it with its session in one statement; a
 * session is shown to whoever holds its id.
 *
 * <p>Out of stock is refused ({@link Refusal.Code#OUT_OF_STOCK}) and stores nothing. A reservation made for an
 * order that then failed to be stored is cancelled again (and lapses by itself at the shop if even
 * that fails).
 */
public final class Checkout {
  public static final String SESSION_PREFIX = "cs";
  public static final String ORDER_PREFIX = "ord";
  public static final int BUYER_REF_LENGTH_MAX = 200;
  /** The most units one checkout may ask for: escrow-core's and the merchant protocol's bound. */
  public static final int QUANTITY_MAX = Math.min(Order.QUANTITY_MAX, Reservation.QUANTITY_MAX);

  /**
   * SKUs whose terms (price, deadlines, the merchant's fee and adapter) are kept, at most, each for
   * {@link ShortLivedCache#REUSE_MAX}. The API never changes them (a SKU is created once); an operator's change
   * in the database, or a merchant set inactive there, reaches checkouts within that time.
   */
  public static final int TERMS_CACHED_MAX = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(Checkout.class);
  private static final String TERMS = "SELECT s.name, s.price_minor, s.currency, s.pay_within_seconds,"
      + " s.deliver_within_seconds, s.validate_within_seconds, s.resupply_within_seconds, s.max_resupply_attempts,"
      + " s.inspection_window_seconds, s.max_hold_seconds, s.unknown_verdict_policy, s.late_payment_policy,"
      + " s.compensation_basis, s.compensation_value, m.fee_basis_points, m.adapter_type,"
      + " COALESCE(d.balance_minor < d.floor_minor, false) AS deposit_low,"
      // The backup sources, in order, with each merchant's fee now: copied onto the order. An inactive one is skipped.
      + " (SELECT coalesce(jsonb_agg(jsonb_build_array(b.backup_merchant_id, b.backup_sku_id, bm.fee_basis_points)"
      + " ORDER BY b.position), '[]'::jsonb) FROM sku_backup_sources b JOIN merchants bm"
      + " ON bm.id = b.backup_merchant_id AND bm.status = 'active'"
      + " WHERE b.merchant_id = s.merchant_id AND b.sku_id = s.id) AS backups FROM skus s"
      + " JOIN merchants m ON m.id = s.merchant_id LEFT JOIN merchant_deposits d ON d.merchant_id = m.id"
      + " WHERE s.merchant_id = $1 AND s.id = $2 AND m.status = 'active'";
  /** The session, written with its order (a rider of the order's insert: reads {@code written}). */
  private static final String INSERT_SESSION = "INSERT INTO checkout_sessions (merchant_id, id, order_id, token_key_id,"
      + " token_sealed, expires_at, created_at) SELECT %s::text, %s::text, %s::text, %s::text, %s::bytea,"
      + " %s::timestamptz, %s::timestamptz FROM written";
  private static final String SESSION = "SELECT c.id, c.merchant_id, c.order_id, c.token_key_id, c.token_sealed,"
      + " c.expires_at, o.version, s.name AS sku_name, m.name AS merchant_name FROM checkout_sessions c"
      + " JOIN orders o ON o.merchant_id = c.merchant_id AND o.id = c.order_id"
      + " JOIN skus s ON s.merchant_id = o.merchant_id AND s.id = o.sku_id"
      + " JOIN merchants m ON m.id = c.merchant_id WHERE c.id = $1";

  private final SoldOutHint soldOut;
  private final Pool pool;
  private final OrderStore orders;
  private final MerchantAdapters adapters;
  private final KeyVault vault;
  private final EngineConfig config;
  private final Supplier<String> baseUrl;
  private final Cache<SkuKey, Terms> terms = ShortLivedCache.of(TERMS_CACHED_MAX);

  /**
   * Whether this instance saw the SKU's stock come up short for {@code quantity} a moment ago: if so, what the claim
   * found, keys free and keys orders awaiting payment held ({@link StockVault#knownShortfall}); else null.
   */
  @FunctionalInterface
  public interface SoldOutHint {
    StockVault.Shortfall knownShortfall(String merchantId, String skuId, int quantity);
  }

  public Checkout(Pool pool, OrderStore orders, MerchantAdapters adapters, KeyVault vault, EngineConfig config,
      Supplier<String> baseUrl, SoldOutHint soldOut) {
    this.soldOut = Objects.requireNonNull(soldOut, "soldOut");
    this.pool = pool;
    this.orders = orders;
    this.adapters = adapters;
    this.vault = vault;
    this.config = config;
    this.baseUrl = baseUrl;
  }

  private record SkuKey(String merchantId, String skuId) {}

  /** The terms an order is placed with. */
  private record Terms(String skuName, Money unitPrice, SkuPolicy policy, int feeBasisPoints, String adapterType,
      boolean depositLow, List<BackupSource> backups) {}

  /**
   * The API's answer for a new session ({@code sessionId}, answered {@code session}) stored with it: a gate of the
   * statement that stores the order and its session ({@link OrderStore.Gate}), or null when nothing is to be stored.
   */
  @FunctionalInterface
  public interface StoredAnswer {
    OrderStore.Gate gate(String sessionId, JsonObject session);
  }

  /**
   * Reserves {@code quantity} units of the merchant's SKU and places the order; answers the new
   * session ({@code id, url, order_id, order_url, expires_at}).
   */
  public Future<JsonObject> create(String merchantId, String skuId, int quantity, String buyerRef,
      StoredAnswer answer) {
    return terms(merchantId, skuId).compose(terms -> {
      if (terms.depositLow()) {
        return Future.failedFuture(Refusal.of(Refusal.Code.MERCHANT_DEPOSIT_LOW,
            "The merchant's deposit is below its floor; it takes no new checkouts until it is topped up"));
      }
      Instant now = orders.now();
      Instant until = now.plus(terms.policy().payWithin()).plusSeconds(config.reservationGraceSeconds());
      return adapters.adapterOf(merchantId)
          // The merchant's setup is read from the database: its outage is not the shop's.
          .recover(failure -> Future.failedFuture(DatabaseOutage.isOutage(failure) ? failure
              : Refusal.of(Refusal.Code.MERCHANT_UNAVAILABLE, "The merchant's shop is not set up to sell now")))
          .compose(adapter -> adapter.reserve(skuId, quantity, until)
              .recover(failure -> Future.failedFuture(reserveRefusal(failure, merchantId, skuId, quantity)))
              .compose(reservation -> place(merchantId, skuId, quantity, buyerRef, terms, reservation, now,
                  answer).recover(failure -> {
                    // Nothing was stored: give the hold back at once rather than wait for it to lapse.
                    adapter.cancel(reservation).onFailure(e -> LOG.info("cancelling reservation {} failed: {}",
                        reservation.reservationId(), e.toString()));
                    return Future.failedFuture(failure);
                  })));
    });
  }

  private Future<JsonObject> place(String merchantId, String skuId, int quantity, String buyerRef, Terms terms,
      Reservation reservation, Instant now, StoredAnswer answer) {
    String orderId = Ids.newId(ORDER_PREFIX);
    String sessionId = Ids.newId(SESSION_PREFIX);
    String token = OrderTokens.newToken();
    Transition placed = Order.place(new OrderDraft(orderId, merchantId, skuId, quantity, terms.unitPrice(),
        terms.feeBasisPoints(), terms.policy(), terms.backups()), now);
    Instant expiresAt = placed.order().payBy();
    KeyVault.Sealed sealedToken = vault.sealString(token, tokenAad(sessionId));
    String base = baseUrl.get();
    JsonObject body = new JsonObject()
        .put("id", sessionId)
        .put("url", base + "/checkout/" + sessionId)
        .put("order_id", orderId)
        .put("order_url", base + "/orders/" + orderId + "?t=" + token)
        .put("expires_at", expiresAt.toString());
    OrderStore.NewOrderRow row = new OrderStore.NewOrderRow(OrderTokens.hash(token), buyerRef, terms.adapterType(),
        reservation.reservationId(), reservation.until());
    // One statement: the answer's gate, the order, its units and evidence, and the session.
    OrderStore.Rider session = new OrderStore.Rider(INSERT_SESSION, List.of(merchantId, sessionId, orderId,
        sealedToken.keyId(), Buffer.buffer(sealedToken.ciphertext()), expiresAt.atOffset(ZoneOffset.UTC),
        now.atOffset(ZoneOffset.UTC)));
    return orders.insert(pool, placed, row, answer.gate(sessionId, body.copy()), List.of(session))
        .map(stored -> {
          orders.announcePlaced(new StoredOrder(placed.order(), row.adapterType(), row.reservationId(),
              row.reservedUntil(), row.buyerRef()), row.tokenHash());
          return body;
        });
  }

  /** A session as its holder sees it: public, the session id being the secret. */
  public Future<JsonObject> get(String sessionId) {
    return pool.preparedQuery(SESSION).execute(Tuple.of(sessionId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(Refusal.of(Refusal.Code.NOT_FOUND, "No such checkout session"));
      }
      Row row = rows.iterator().next();
      String orderId = row.getString("order_id");
      return orders.load(orderId, row.getString("merchant_id")).map(stored -> {
        Order order = stored.order();
        String token = vault.openString(new KeyVault.Sealed(row.getString("token_key_id"),
            row.getBuffer("token_sealed").getBytes()), tokenAad(sessionId));
        JsonObject body = OrderViews.price(new JsonObject()
            .put("id", sessionId)
            .put("order_id", orderId)
            .put("order_token", token)
            .put("order_url", baseUrl.get() + "/orders/" + orderId + "?t=" + token)
            .put("state", order.state().code())
            .put("sku", new JsonObject().put("id", order.skuId()).put("name", row.getString("sku_name"))), order)
            .put("pay_by", order.payBy().toString())
            .put("expires_at", row.getOffsetDateTime("expires_at").toInstant().toString())
            .put("deliver_within_seconds", order.policy().deliverWithin().getSeconds())
            .put("merchant", new JsonObject().put("id", order.merchantId())
                .put("name", row.getString("merchant_name")));
        return body;
      });
    });
  }

  private Future<Terms> terms(String merchantId, String skuId) {
    SkuKey key = new SkuKey(merchantId, skuId);
    Terms known = terms.getIfPresent(key);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return pool.preparedQuery(TERMS).execute(Tuple.of(merchantId, skuId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(Refusal.of(Refusal.Code.NOT_FOUND, "No such SKU"));
      }
      Row row = rows.iterator().next();
      SkuPolicy policy = Catalog.policyOf(row);
      Terms found = new Terms(row.getString("name"),
          Money.of(row.getLong("price_minor"), row.getString("currency")), policy, row.getInteger("fee_basis_points"),
          row.getString("adapter_type"), row.getBoolean("deposit_low"), backupsOf(row));
      terms.put(key, found);
      return Future.succeededFuture(found);
    });
  }

  private static List<BackupSource> backupsOf(Row row) {
    List<BackupSource> backups = new ArrayList<>();
    Object value = row.getValue("backups");
    JsonArray list = value instanceof JsonArray array ? array : new JsonArray(String.valueOf(value));
    for (Object element : list) {
      JsonArray backup = (JsonArray) element;
      backups.add(new BackupSource(backup.getString(0), backup.getString(1), backup.getInteger(2)));
    }
    return backups;
  }

  /**
   * The refusal of a checkout for {@code quantity} keys of a SKU this instance saw sell out a moment ago (the
   * stock vault's memory), or null: the same answer the reservation would give, without any work. A hint
   * only — a null never sells, the reservation does.
   */
  public Refusal knownSoldOut(String merchantId, String skuId, int quantity) {
    StockVault.Shortfall shortfall = soldOut.knownShortfall(merchantId, skuId, quantity);
    return shortfall == null ? null : outOfStock(shortfall);
  }

  /** Out of stock; with what the claim found when Keyhold holds the stock ({@code shortfall}; null: not known). */
  private static Refusal outOfStock(StockVault.Shortfall shortfall) {
    String detail = "Not enough keys are free for this quantity";
    return shortfall == null ? Refusal.of(Refusal.Code.OUT_OF_STOCK, detail) : Refusal.outOfStock(detail, shortfall);
  }

  /**
   * Forgets the cached terms of {@code merchantId}'s SKUs, so that a deposit changed on this instance is seen by its
   * next checkout (other instances see it within {@link ShortLivedCache#REUSE_MAX}).
   */
  public void forgetMerchant(String merchantId) {
    terms.asMap().keySet().removeIf(key -> key.merchantId().equals(merchantId));
  }

  private Throwable reserveRefusal(Throwable failure, String merchantId, String skuId, int quantity) {
    io.keyhold.adapters.spi.Refusal shop = failure instanceof MerchantRefusedException refused
        ? refused.refusal() : null;
    if (shop == io.keyhold.adapters.spi.Refusal.OUT_OF_STOCK) {
      // The consignment stock's short claim left what unpaid orders hold in the hint; a shop's refusal did not.
      return outOfStock(soldOut.knownShortfall(merchantId, skuId, quantity));
    }
    if (shop == io.keyhold.adapters.spi.Refusal.UNKNOWN_SKU) {
      return Refusal.of(Refusal.Code.OUT_OF_STOCK, "The shop does not sell this SKU now");
    }
    if (failure instanceof AdapterException adapterFailure) {
      return shopRefusal(adapterFailure);
    }
    return failure;
  }

  /**
   * Says what went wrong with the shop: a signature that does not verify, either way, is a setup mistake (the
   * shop and Keyhold do not sign with the same secret) and is named as such, never passed off as a slow shop.
   */
  static Refusal shopRefusal(AdapterException failure) {
    if (failure instanceof OutcomeUnknownException unknown) {
      return switch (unknown.reason()) {
        case BAD_SIGNATURE -> badSignature("The merchant's shop answered with a signature that does not verify");
        case TIMEOUT -> unavailable("The merchant's shop did not answer in time");
        case CONNECTION -> unavailable("The merchant's shop could not be reached");
        case SERVER_ERROR -> unavailable("The merchant's shop answered with a server error");
        case MALFORMED_ANSWER -> unavailable("The merchant's shop answered something the merchant protocol does not allow");
      };
    }
    if (failure instanceof CallRejectedException rejected) {
      return switch (rejected.reason()) {
        case CIRCUIT_OPEN -> unavailable("Calls to the merchant's shop are paused after repeated failures");
        case BULKHEAD_FULL -> unavailable("The merchant's shop has as many calls under way as it may take");
      };
    }
    MerchantRefusedException refused = (MerchantRefusedException) failure;
    return refused.refusal() == io.keyhold.adapters.spi.Refusal.BAD_SIGNATURE
        ? badSignature("The merchant's shop could not verify Keyhold's signature")
        // A refusal's code is [a-z0-9_]{1,64}, checked when the answer was read.
        : unavailable("The merchant's shop refused the reservation (" + refused.code() + ")");
  }

  private static Refusal badSignature(String what) {
    return Refusal.of(Refusal.Code.MERCHANT_BAD_SIGNATURE,
        what + "; the shop and Keyhold must sign with the same secret");
  }

  private static Refusal unavailable(String detail) {
    return Refusal.of(Refusal.Code.MERCHANT_UNAVAILABLE, detail);
  }

  /** Binds a sealed token to its session. */
  private static String tokenAad(String sessionId) {
    return "checkout-token:" + sessionId;
  }
}
