package io.keyhold.gateway.wiring;

import io.keyhold.adapters.spi.AdapterException;
import io.keyhold.adapters.spi.CallRejectedException;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Refusal;
import io.keyhold.adapters.spi.Reservation;
import io.keyhold.escrow.LatePaymentPolicy;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderDraft;
import io.keyhold.escrow.SkuPolicy;
import io.keyhold.escrow.Transition;
import io.keyhold.escrow.UnknownVerdictPolicy;
import io.keyhold.gateway.crypto.KeyVault;
import io.keyhold.gateway.db.Ids;
import io.keyhold.gateway.http.ApiRequest;
import io.keyhold.gateway.http.JsonInput;
import io.keyhold.gateway.http.ProblemCode;
import io.keyhold.gateway.http.ProblemException;
import io.keyhold.gateway.http.Reply;
import io.keyhold.gateway.orders.OrderStore;
import io.keyhold.gateway.orders.OrderTokens;
import io.keyhold.gateway.orders.OrderViews;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkout sessions: {@code POST /v1/checkout-sessions} reserves stock through the merchant's
 * adapter, then places the order (escrow-core {@code Order.place}) and stores it with its session in
 * one transaction; {@code GET /v1/checkout-sessions/{id}} shows a session to whoever holds its id.
 *
 * <p>Out of stock answers 409 {@code out_of_stock} and stores nothing. A reservation made for an
 * order that then failed to be stored is cancelled again (and lapses by itself at the shop if even
 * that fails).
 */
public final class Checkout {
  public static final String SESSION_PREFIX = "cs";
  public static final String ORDER_PREFIX = "ord";
  public static final int BUYER_REF_LENGTH_MAX = 200;
  /** The most units one checkout may ask for: escrow-core's and the merchant protocol's bound. */
  public static final int QUANTITY_MAX = Math.min(Order.MAX_QUANTITY, Reservation.MAX_QUANTITY);

  private static final Logger LOG = LoggerFactory.getLogger(Checkout.class);
  private static final Set<String> FIELDS = Set.of("sku_id", "quantity", "buyer_ref");
  private static final Pattern SKU_ID = Ids.pattern("sku");
  private static final String TERMS = "SELECT s.name, s.price_minor, s.currency, s.pay_within_seconds,"
      + " s.deliver_within_seconds, s.validate_within_seconds, s.resupply_within_seconds, s.max_resupply_attempts,"
      + " s.inspection_window_seconds, s.max_hold_seconds, s.unknown_verdict_policy, s.late_payment_policy,"
      + " m.fee_basis_points, m.adapter_type FROM skus s JOIN merchants m ON m.id = s.merchant_id"
      + " WHERE s.merchant_id = $1 AND s.id = $2 AND m.status = 'active'";
  private static final String INSERT_SESSION = "INSERT INTO checkout_sessions (merchant_id, id, order_id, token_key_id,"
      + " token_sealed, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
  private static final String SESSION = "SELECT c.id, c.merchant_id, c.order_id, c.token_key_id, c.token_sealed,"
      + " c.expires_at, o.version, s.name AS sku_name, m.name AS merchant_name FROM checkout_sessions c"
      + " JOIN orders o ON o.merchant_id = c.merchant_id AND o.id = c.order_id"
      + " JOIN skus s ON s.merchant_id = o.merchant_id AND s.id = o.sku_id"
      + " JOIN merchants m ON m.id = c.merchant_id WHERE c.id = $1";

  private final Pool pool;
  private final OrderStore orders;
  private final MerchantAdapters adapters;
  private final KeyVault vault;
  private final EngineConfig config;
  private final Supplier<String> baseUrl;

  public Checkout(Pool pool, OrderStore orders, MerchantAdapters adapters, KeyVault vault, EngineConfig config,
      Supplier<String> baseUrl) {
    this.pool = pool;
    this.orders = orders;
    this.adapters = adapters;
    this.vault = vault;
    this.config = config;
    this.baseUrl = baseUrl;
  }

  /** The terms an order is placed with. */
  private record Terms(String skuName, Money unitPrice, SkuPolicy policy, int feeBasisPoints, String adapterType) {}

  /** {@code POST /v1/checkout-sessions}. */
  public Future<Reply> create(ApiRequest request) {
    JsonInput in = JsonInput.of(request.body(), FIELDS);
    String skuId = in.requiredMatching("sku_id", SKU_ID, 64);
    long quantity = in.requiredLong("quantity", 1, QUANTITY_MAX);
    String buyerRef = in.optionalString("buyer_ref", 1, BUYER_REF_LENGTH_MAX);
    in.done();
    String merchantId = request.merchantId();
    return terms(merchantId, skuId).compose(terms -> {
      Instant now = orders.now();
      Instant until = now.plus(terms.policy().payWithin()).plusSeconds(config.reservationGraceSeconds());
      return adapters.adapterOf(merchantId)
          .recover(failure -> Future.failedFuture(new ProblemException(ProblemCode.MERCHANT_UNAVAILABLE,
              "The merchant's shop is not set up to sell now")))
          .compose(adapter -> adapter.reserve(skuId, (int) quantity, until)
              .recover(failure -> Future.failedFuture(reserveProblem(failure)))
              .compose(reservation -> place(request, merchantId, skuId, (int) quantity, buyerRef, terms, reservation,
                  now).recover(failure -> {
                    // Nothing was stored: give the hold back at once rather than wait for it to lapse.
                    adapter.cancel(reservation).onFailure(e -> LOG.info("cancelling reservation {} failed: {}",
                        reservation.reservationId(), e.toString()));
                    return Future.failedFuture(failure);
                  })));
    });
  }

  private Future<Reply> place(ApiRequest request, String merchantId, String skuId, int quantity, String buyerRef,
      Terms terms, Reservation reservation, Instant now) {
    String orderId = Ids.newId(ORDER_PREFIX);
    String sessionId = Ids.newId(SESSION_PREFIX);
    String token = OrderTokens.newToken();
    Transition placed = Order.place(new OrderDraft(orderId, merchantId, skuId, quantity, terms.unitPrice(),
        terms.feeBasisPoints(), terms.policy()), now);
    Instant expiresAt = placed.order().payBy();
    KeyVault.Sealed sealedToken = vault.sealString(token, tokenAad(sessionId));
    String base = baseUrl.get();
    JsonObject body = new JsonObject()
        .put("id", sessionId)
        .put("url", base + "/checkout/" + sessionId)
        .put("order_id", orderId)
        .put("order_url", base + "/orders/" + orderId + "?t=" + token)
        .put("expires_at", expiresAt.toString());
    Reply reply = Reply.created(body, "/v1/checkout-sessions/" + sessionId);
    OrderStore.NewOrderRow row = new OrderStore.NewOrderRow(OrderTokens.hash(token), buyerRef, terms.adapterType(),
        reservation.reservationId(), reservation.until());
    return pool.withTransaction(tx -> Future.all(
                orders.insert(tx, placed, row),
                tx.preparedQuery(INSERT_SESSION).execute(Tuple.tuple().addString(merchantId).addString(sessionId)
                    .addString(orderId).addString(sealedToken.keyId())
                    .addBuffer(Buffer.buffer(sealedToken.ciphertext()))
                    .addOffsetDateTime(expiresAt.atOffset(ZoneOffset.UTC))
                    .addOffsetDateTime(now.atOffset(ZoneOffset.UTC))))
            .compose(stored -> request.recordReply(tx, reply)))
        .map(stored -> {
          orders.announce(placed.order());
          return reply;
        });
  }

  /** {@code GET /v1/checkout-sessions/{id}}: public, the session id being the secret. */
  public Future<Reply> get(ApiRequest request) {
    String sessionId = request.pathParam("id");
    return pool.preparedQuery(SESSION).execute(Tuple.of(sessionId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND, "No such checkout session"));
      }
      Row row = rows.iterator().next();
      String orderId = row.getString("order_id");
      return orders.load(orderId, row.getString("merchant_id")).map(stored -> {
        Order order = stored.order();
        String token = vault.openString(new KeyVault.Sealed(row.getString("token_key_id"),
            row.getBuffer("token_sealed").getBytes()), tokenAad(sessionId));
        JsonObject body = new JsonObject()
            .put("id", sessionId)
            .put("order_id", orderId)
            .put("order_token", token)
            .put("order_url", baseUrl.get() + "/orders/" + orderId + "?t=" + token)
            .put("state", order.state().code())
            .put("sku", new JsonObject().put("id", order.skuId()).put("name", row.getString("sku_name")))
            .put("quantity", order.quantity())
            .put("unit_price", OrderViews.money(order.unitPrice()))
            .put("total", OrderViews.money(order.total()))
            .put("pay_by", order.payBy().toString())
            .put("expires_at", row.getOffsetDateTime("expires_at").toInstant().toString())
            .put("deliver_within_seconds", order.policy().deliverWithin().getSeconds())
            .put("merchant", new JsonObject().put("id", order.merchantId())
                .put("name", row.getString("merchant_name")));
        return new Reply(200, Reply.JSON, body.toBuffer(), java.util.Map.of("Cache-Control", "no-store"));
      });
    });
  }

  private Future<Terms> terms(String merchantId, String skuId) {
    return pool.preparedQuery(TERMS).execute(Tuple.of(merchantId, skuId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND, "No such SKU"));
      }
      Row row = rows.iterator().next();
      SkuPolicy policy = SkuPolicy.builder()
          .payWithin(Duration.ofSeconds(row.getInteger("pay_within_seconds")))
          .deliverWithin(Duration.ofSeconds(row.getInteger("deliver_within_seconds")))
          .validateWithin(Duration.ofSeconds(row.getInteger("validate_within_seconds")))
          .resupplyWithin(Duration.ofSeconds(row.getInteger("resupply_within_seconds")))
          .maxResupplyAttempts(row.getInteger("max_resupply_attempts"))
          .inspectionWindow(Duration.ofSeconds(row.getInteger("inspection_window_seconds")))
          .maxHold(Duration.ofSeconds(row.getInteger("max_hold_seconds")))
          .unknownVerdictPolicy(UnknownVerdictPolicy.fromCode(row.getString("unknown_verdict_policy")))
          .latePaymentPolicy(LatePaymentPolicy.fromCode(row.getString("late_payment_policy")))
          .build();
      return Future.succeededFuture(new Terms(row.getString("name"),
          Money.of(row.getLong("price_minor"), row.getString("currency")), policy, row.getInteger("fee_basis_points"),
          row.getString("adapter_type")));
    });
  }

  private static Throwable reserveProblem(Throwable failure) {
    if (failure instanceof MerchantRefusedException refused
        && (refused.refusal() == Refusal.OUT_OF_STOCK || refused.refusal() == Refusal.UNKNOWN_SKU)) {
      return new ProblemException(ProblemCode.OUT_OF_STOCK, refused.refusal() == Refusal.OUT_OF_STOCK
          ? "Not enough keys are free for this quantity" : "The shop does not sell this SKU now");
    }
    if (failure instanceof AdapterException adapterFailure) {
      return shopProblem(adapterFailure);
    }
    return failure;
  }

  /**
   * Says what went wrong with the shop: a signature that does not verify, either way, is a setup mistake (the
   * shop and Keyhold do not sign with the same secret) and is named as such, never passed off as a slow shop.
   */
  static ProblemException shopProblem(AdapterException failure) {
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
    return refused.refusal() == Refusal.BAD_SIGNATURE
        ? badSignature("The merchant's shop could not verify Keyhold's signature")
        // A refusal's code is [a-z0-9_]{1,64}, checked when the answer was read.
        : unavailable("The merchant's shop refused the reservation (" + refused.code() + ")");
  }

  private static ProblemException badSignature(String what) {
    return new ProblemException(ProblemCode.MERCHANT_BAD_SIGNATURE,
        what + "; the shop and Keyhold must sign with the same secret");
  }

  private static ProblemException unavailable(String detail) {
    return new ProblemException(ProblemCode.MERCHANT_UNAVAILABLE, detail);
  }

  /** Binds a sealed token to its session. */
  private static String tokenAad(String sessionId) {
    return "checkout-token:" + sessionId;
  }
}
