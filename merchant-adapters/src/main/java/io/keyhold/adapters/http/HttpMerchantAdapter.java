package io.keyhold.adapters.http;

import io.keyhold.adapters.resilience.Idempotency;
import io.keyhold.adapters.resilience.ResilientCalls;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.Identifiers;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.ReplaceReason;
import io.keyhold.adapters.spi.Reservation;
import io.keyhold.adapters.spi.UnitIndex;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * The {@code http} adapter: talks to a shop that implements the Keyhold merchant protocol
 * (PROTOCOL.md). Every call is signed, bound to its answer by a {@code request_id}, runs within the
 * merchant's {@link ResilientCalls} policy, and is retried when its outcome is unknown, which the
 * protocol's idempotency keys make safe: {@code reservation_id} for reserve and cancel, order and unit
 * for deliveries, order, unit and attempt for replacements.
 *
 * <p>An answer that breaks the protocol (unsigned, unreadable, units that were not asked, a
 * reservation held longer than asked...) is an unknown outcome, never trusted in part. A key holding a
 * control character is the shop's bad key, not a broken answer: it comes back refused
 * ({@link DeliveredKey#refused()}), and Keyhold asks for a replacement.
 *
 * <p>Configuration ({@link AdapterContext#config()}, names in {@link HttpSettings}): {@code base_url}
 * (required; a URL the context's {@link AdapterContext#outboundRules()} accept: {@code https} to public
 * addresses, or an allow-listed host), {@code replay_window_seconds} (default 300). Secrets ({@link AdapterContext#secrets()}):
 * {@code signing_secret} (required) and {@code signing_secret_next} (during a rotation). Limits come
 * from {@link AdapterContext#policy()}; the connection pool is the merchant's own, sized to its
 * concurrent-call limit.
 */
public final class HttpMerchantAdapter implements MerchantAdapter {

  private final String merchantId;
  private final Clock clock;
  private final SignedJsonClient client;
  private final ResilientCalls calls;

  private HttpMerchantAdapter(String merchantId, Clock clock, SignedJsonClient client, ResilientCalls calls) {
    this.merchantId = merchantId;
    this.clock = clock;
    this.client = client;
    this.calls = calls;
  }

  /**
   * The adapter for the context's merchant, configured as the class comment says. Throws
   * {@link IllegalArgumentException} naming a missing or bad field (never a secret's value).
   */
  public static HttpMerchantAdapter create(AdapterContext context) {
    SignedJsonClient client = SignedJsonClient.create(context);
    return new HttpMerchantAdapter(context.merchantId(), context.clock(), client,
        ResilientCalls.create(context, "http-adapter"));
  }

  /** The resilience policy around this adapter's calls (breaker state, for health pages and tests). */
  public ResilientCalls calls() {
    return calls;
  }

  @Override
  public Future<Reservation> reserve(String skuId, int quantity, Instant until) {
    return checked(() -> {
      Identifiers.require("skuId", skuId);
      Reservation.requireQuantity(quantity);
      Objects.requireNonNull(until, "until");
      // Whole seconds on the wire; rounding down never asks the shop to hold longer than the caller wants.
      Instant untilSeconds = until.truncatedTo(ChronoUnit.SECONDS);
      if (!untilSeconds.isAfter(clock.instant())) {
        throw new IllegalArgumentException("until must be in the future, but was " + until);
      }
      String reservationId = "res-" + UUID.randomUUID();
      JsonObject request = new JsonObject()
          .put("merchant_id", merchantId)
          .put("reservation_id", reservationId)
          .put("sku_id", skuId)
          .put("quantity", quantity)
          .put("until", untilSeconds.toString());
      return calls.call("reserve", Idempotency.IDEMPOTENT,
          () -> client.post(MerchantProtocol.PATH_RESERVATIONS, request).map(answer -> {
            AnswerReader reader = new AnswerReader(MerchantProtocol.PATH_RESERVATIONS, answer);
            reader.expect("reservation_id", reservationId);
            reader.expect("sku_id", skuId);
            reader.expect("quantity", quantity);
            Instant expiresAt = reader.instant("expires_at");
            if (expiresAt.isAfter(untilSeconds)) {
              throw reader.malformed("expires_at is later than the until asked");
            }
            return new Reservation(reservationId, merchantId, skuId, quantity, expiresAt);
          }));
    });
  }

  @Override
  public Future<List<DeliveredKey>> provide(OrderRef order, List<UnitIndex> units) {
    return checked(() -> {
      requireOwnMerchant(Objects.requireNonNull(order, "order").merchantId());
      Set<Integer> asked = distinctUnits(units);
      JsonObject request = new JsonObject()
          .put("merchant_id", merchantId)
          .put("order_id", order.orderId())
          .put("sku_id", order.skuId())
          .put("reservation_id", order.reservationId())
          .put("units", new JsonArray(List.copyOf(asked)));
      return calls.call("provide", Idempotency.IDEMPOTENT,
          () -> client.post(MerchantProtocol.PATH_DELIVERIES, request)
              .map(answer -> readDelivery(order, asked, answer)));
    });
  }

  private static List<DeliveredKey> readDelivery(OrderRef order, Set<Integer> asked, JsonObject answer) {
    String path = MerchantProtocol.PATH_DELIVERIES;
    AnswerReader reader = new AnswerReader(path, answer);
    reader.expect("order_id", order.orderId());
    Set<Integer> answered = new HashSet<>();
    List<DeliveredKey> keys = new ArrayList<>();
    for (Object entry : reader.array("keys")) {
      if (!(entry instanceof JsonObject keyEntry)) {
        throw reader.malformed("keys must hold objects");
      }
      int unit = AnswerReader.integer(path, keyEntry.getValue("unit"), "keys[].unit");
      if (!asked.contains(unit) || !answered.add(unit)) {
        throw reader.malformed("keys names a unit that was not asked, or twice");
      }
      keys.add(AnswerReader.key(path, UnitIndex.of(unit), keyEntry.getValue("key"), "keys[].key"));
    }
    for (Object entry : reader.array("pending")) {
      int unit = AnswerReader.integer(path, entry, "pending[]");
      if (!asked.contains(unit) || !answered.add(unit)) {
        throw reader.malformed("pending names a unit that was not asked, or one already answered");
      }
    }
    if (!answered.equals(asked)) {
      throw reader.malformed("the answer leaves out units that were asked");
    }
    keys.sort((a, b) -> a.unit().compareTo(b.unit()));
    return List.copyOf(keys);
  }

  @Override
  public Future<DeliveredKey> replace(OrderRef order, UnitIndex unit, int attempt, ReplaceReason reason) {
    return checked(() -> {
      requireOwnMerchant(Objects.requireNonNull(order, "order").merchantId());
      Objects.requireNonNull(unit, "unit");
      Objects.requireNonNull(reason, "reason");
      if (attempt < 1 || attempt > REPLACE_ATTEMPTS_MAX) {
        throw new IllegalArgumentException(
            "attempt must be between 1 and " + REPLACE_ATTEMPTS_MAX + ", but was " + attempt);
      }
      JsonObject request = new JsonObject()
          .put("merchant_id", merchantId)
          .put("order_id", order.orderId())
          .put("sku_id", order.skuId())
          .put("unit", unit.value())
          .put("attempt", attempt)
          .put("reason", reason.code());
      return calls.call("replace", Idempotency.IDEMPOTENT,
          () -> client.post(MerchantProtocol.PATH_REPLACEMENTS, request).map(answer -> {
            AnswerReader reader = new AnswerReader(MerchantProtocol.PATH_REPLACEMENTS, answer);
            reader.expect("order_id", order.orderId());
            reader.expect("unit", unit.value());
            reader.expect("attempt", attempt);
            return reader.key(unit, "key");
          }));
    });
  }

  @Override
  public Future<Void> cancel(Reservation reservation) {
    return checked(() -> {
      requireOwnMerchant(Objects.requireNonNull(reservation, "reservation").merchantId());
      JsonObject request = new JsonObject()
          .put("merchant_id", merchantId)
          .put("reservation_id", reservation.reservationId());
      return calls.call("cancel", Idempotency.IDEMPOTENT,
          () -> client.post(MerchantProtocol.PATH_CANCEL_RESERVATION, request).map(answer -> {
            AnswerReader reader = new AnswerReader(MerchantProtocol.PATH_CANCEL_RESERVATION, answer);
            reader.expect("reservation_id", reservation.reservationId());
            reader.expect("status", "cancelled");
            return (Void) null;
          }));
    });
  }

  @Override
  public Future<Void> close() {
    client.close();
    calls.close();
    return Future.succeededFuture();
  }

  private void requireOwnMerchant(String otherMerchantId) {
    if (!merchantId.equals(otherMerchantId)) {
      throw new IllegalArgumentException(
          "this adapter serves merchant " + merchantId + ", but was asked about " + otherMerchantId);
    }
  }

  private static Set<Integer> distinctUnits(List<UnitIndex> units) {
    Objects.requireNonNull(units, "units");
    if (units.isEmpty() || units.size() > UNITS_PER_CALL_MAX) {
      throw new IllegalArgumentException(
          "units must hold 1 to " + UNITS_PER_CALL_MAX + " units, but held " + units.size());
    }
    Set<Integer> distinct = new TreeSet<>();
    for (UnitIndex unit : units) {
      if (!distinct.add(Objects.requireNonNull(unit, "unit").value())) {
        throw new IllegalArgumentException("units must be distinct, but " + unit + " appears twice");
      }
    }
    return distinct;
  }

  /** Argument checks throw; the SPI promises a failed Future instead. */
  private static <T> Future<T> checked(Callable<Future<T>> body) {
    try {
      return body.call();
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public String toString() {
    return "HttpMerchantAdapter[" + merchantId + "]";
  }
}
