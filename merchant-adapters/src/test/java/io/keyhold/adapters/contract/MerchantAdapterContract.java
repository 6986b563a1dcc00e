package io.keyhold.adapters.contract;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.failureOrNull;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

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
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link MerchantAdapter} passes, built in or third party, whatever it talks to
 * (HTTP, a database, memory). Shipped in this module's test-jar
 * ({@code io.keyhold:merchant-adapters:test-jar}). To run it, extend this class and say how to make a
 * fresh adapter for a shop that sells {@link #skuWithStock()} (at least {@value #STOCK_MIN} keys) and
 * {@link #skuWithoutStock()} (none); every test gets a fresh adapter and shop.
 *
 * <p>What it checks: reservations are all-or-nothing and cancellable any number of times; every unit
 * gets exactly one key and asking again returns the same key; concurrent orders never share a key;
 * replacements are new keys, idempotent per attempt; refusals are typed; bad arguments come back as
 * failed futures, never thrown; keys never show in {@code toString()}.
 */
public abstract class MerchantAdapterContract {

  /** Keys {@link #skuWithStock()} must hold at the start of every test. */
  public static final int STOCK_MIN = 60;

  /**
   * Orders placed at once: below the default policy's concurrent-call limit, so the bulkhead of a
   * remote adapter does not reject them.
   */
  protected static final int CONCURRENT_ORDERS = 8;
  private static final int CONCURRENCY_WAVES = 3;

  /** The Vert.x instance of the current test, created before {@link #createAdapter(Vertx)}. */
  protected Vertx vertx;
  /** The adapter under test. */
  protected MerchantAdapter adapter;

  /** A fresh adapter, for a fresh shop holding the stock described above. */
  protected abstract Future<MerchantAdapter> createAdapter(Vertx vertx);

  /** The merchant the adapter serves. */
  protected abstract String merchantId();

  /** A SKU with at least {@value #STOCK_MIN} keys. */
  protected abstract String skuWithStock();

  /** A SKU the shop sells but has no key of. */
  protected abstract String skuWithoutStock();

  /** Stops whatever {@link #createAdapter(Vertx)} started besides the adapter (a server, a database). */
  protected Future<Void> closeShop() {
    return Future.succeededFuture();
  }

  @BeforeEach
  public final void createAdapterUnderTest() {
    vertx = Vertx.vertx();
    adapter = result(createAdapter(vertx));
  }

  @AfterEach
  public final void closeAdapterUnderTest() {
    try {
      if (adapter != null) {
        result(adapter.close());
      }
      result(closeShop());
    } finally {
      result(vertx.close());
    }
  }

  // ---- reservations ------------------------------------------------------------------------------

  @Test
  public void reservesTheQuantityAskedUntilNoLaterThanAsked() {
    Instant until = Instant.now().plus(Duration.ofMinutes(15));

    Reservation reservation = result(adapter.reserve(skuWithStock(), 3, until));

    assertThat(reservation.quantity()).isEqualTo(3);
    assertThat(reservation.skuId()).isEqualTo(skuWithStock());
    assertThat(reservation.merchantId()).isEqualTo(merchantId());
    assertThat(reservation.until()).isAfter(Instant.now()).isBeforeOrEqualTo(until);
  }

  @Test
  public void refusesToReserveMoreThanItHolds() {
    Throwable refused = failure(adapter.reserve(skuWithoutStock(), 1, Instant.now().plus(Duration.ofMinutes(5))));

    assertRefused(refused, Refusal.OUT_OF_STOCK);
  }

  @Test
  public void refusesToReserveASkuItDoesNotSell() {
    Throwable refused = failure(adapter.reserve("no-such-sku-" + UUID.randomUUID(), 1, inFiveMinutes()));

    assertRefused(refused, Refusal.UNKNOWN_SKU);
  }

  @Test
  public void cancelsAReservationAsOftenAsAsked() {
    Reservation reservation = result(adapter.reserve(skuWithStock(), 2, inFiveMinutes()));

    result(adapter.cancel(reservation));
    result(adapter.cancel(reservation));
  }

  @Test
  public void cancellingAReservationNeverMadeSucceeds() {
    Reservation neverMade = new Reservation("res-never-made-" + UUID.randomUUID().toString().substring(0, 8),
        merchantId(), skuWithStock(), 1, inFiveMinutes());

    result(adapter.cancel(neverMade));
  }

  @Test
  public void cancelledStockCanBeReservedAgain() {
    List<Reservation> firstRound = reserveAllInChunks();
    firstRound.forEach(reservation -> result(adapter.cancel(reservation)));

    List<Reservation> secondRound = reserveAllInChunks();

    assertThat(secondRound.stream().mapToInt(Reservation::quantity).sum())
        .isEqualTo(firstRound.stream().mapToInt(Reservation::quantity).sum());
  }

  @Test
  public void refusesToCancelAReservationADeliveryUsed() {
    Reservation reservation = result(adapter.reserve(skuWithStock(), 1, inFiveMinutes()));
    OrderRef order = newOrder().withReservation(reservation.reservationId());
    result(adapter.provide(order, units(0)));

    assertRefused(failure(adapter.cancel(reservation)), Refusal.RESERVATION_CONSUMED);
  }

  // ---- deliveries --------------------------------------------------------------------------------

  @Test
  public void providesOneDistinctKeyForEveryUnitAsked() {
    List<DeliveredKey> keys = result(adapter.provide(newOrder(), units(0, 1, 2)));

    assertThat(keys).extracting(DeliveredKey::unit).containsExactly(UnitIndex.of(0), UnitIndex.of(1), UnitIndex.of(2));
    assertThat(keys.stream().map(DeliveredKey::key).collect(Collectors.toSet())).hasSize(3);
  }

  @Test
  public void providingAgainReturnsTheSameKeyForTheSameUnit() {
    OrderRef order = newOrder();
    List<DeliveredKey> first = result(adapter.provide(order, units(0, 1)));

    List<DeliveredKey> again = result(adapter.provide(order, units(1, 0, 2)));

    assertThat(again).hasSize(3);
    assertThat(again.get(0)).isEqualTo(first.get(0));
    assertThat(again.get(1)).isEqualTo(first.get(1));
    assertThat(again.get(2).key()).isNotIn(first.get(0).key(), first.get(1).key());
  }

  @Test
  public void providesFromTheOrdersReservation() {
    Reservation reservation = result(adapter.reserve(skuWithStock(), 2, inFiveMinutes()));
    OrderRef order = newOrder().withReservation(reservation.reservationId());

    List<DeliveredKey> keys = result(adapter.provide(order, units(0, 1)));

    assertThat(keys).hasSize(2);
    assertThat(result(adapter.provide(order, units(0, 1)))).isEqualTo(keys);
  }

  @Test
  public void anEmptySkuIsRefusedOutOfStockOrLeftPending() {
    Future<List<DeliveredKey>> delivery = adapter.provide(
        OrderRef.of(newOrderId(), merchantId(), skuWithoutStock()), units(0));

    Throwable failure = failureOrNull(delivery);
    if (failure == null) {
      assertThat(result(delivery)).as("units left pending").isEmpty();
    } else {
      assertRefused(failure, Refusal.OUT_OF_STOCK);
    }
  }

  @Test
  public void concurrentOrdersNeverShareAKey() {
    List<CardKey> keys = new ArrayList<>();
    for (int wave = 0; wave < CONCURRENCY_WAVES; wave++) {
      List<Future<List<DeliveredKey>>> deliveries = new ArrayList<>();
      for (int i = 0; i < CONCURRENT_ORDERS; i++) {
        deliveries.add(adapter.provide(newOrder(), units(0, 1)));
      }
      deliveries.forEach(delivery -> result(delivery).forEach(key -> keys.add(key.key())));
    }

    assertThat(keys).hasSize(CONCURRENCY_WAVES * CONCURRENT_ORDERS * 2).doesNotHaveDuplicates();
  }

  // ---- replacements ------------------------------------------------------------------------------

  @Test
  public void replacesAUnitWithAKeyNeverGivenBeforeAndTheSameKeyPerAttempt() {
    OrderRef order = newOrder();
    List<DeliveredKey> delivered = result(adapter.provide(order, units(0, 1)));

    DeliveredKey first = result(adapter.replace(order, UnitIndex.of(1), 1, ReplaceReason.REDEEMED));
    DeliveredKey firstAgain = result(adapter.replace(order, UnitIndex.of(1), 1, ReplaceReason.REDEEMED));
    DeliveredKey second = result(adapter.replace(order, UnitIndex.of(1), 2, ReplaceReason.INVALID));

    assertThat(first.unit()).isEqualTo(UnitIndex.of(1));
    assertThat(first.key()).isNotIn(delivered.get(0).key(), delivered.get(1).key());
    assertThat(firstAgain).isEqualTo(first);
    assertThat(second.key()).isNotIn(delivered.get(0).key(), delivered.get(1).key(), first.key());
  }

  @Test
  public void replacingAUnitNeverDeliveredIsRefused() {
    OrderRef order = newOrder();
    result(adapter.provide(order, units(0)));

    Throwable unitNeverDelivered = failure(adapter.replace(order, UnitIndex.of(5), 1, ReplaceReason.INVALID));
    Throwable orderNeverDelivered = failure(adapter.replace(newOrder(), UnitIndex.of(0), 1, ReplaceReason.INVALID));

    assertThat(unitNeverDelivered).isInstanceOf(MerchantRefusedException.class);
    assertThat(((MerchantRefusedException) unitNeverDelivered).refusal())
        .isIn(Refusal.NOT_DELIVERED, Refusal.UNKNOWN_ORDER);
    assertRefused(orderNeverDelivered, Refusal.UNKNOWN_ORDER);
  }

  // ---- arguments and secrecy ---------------------------------------------------------------------

  @Test
  public void badArgumentsComeBackAsFailedFuturesNeverThrown() {
    assertThat(failure(adapter.provide(newOrder(), List.of()))).isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(adapter.provide(newOrder(), units(1, 1)))).isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(adapter.reserve(skuWithStock(), 0, inFiveMinutes()))).isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(adapter.replace(newOrder(), UnitIndex.of(0), 0, ReplaceReason.INVALID)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(adapter.provide(OrderRef.of(newOrderId(), "another-merchant", skuWithStock()), units(0))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  public void deliveredKeysNeverShowInToString() {
    List<DeliveredKey> keys = result(adapter.provide(newOrder(), units(0)));

    assertThat(keys.toString()).doesNotContain(keys.get(0).key().reveal()).contains("CardKey[***]");
  }

  // ---- helpers -----------------------------------------------------------------------------------

  /** A new order of {@link #skuWithStock()}. */
  protected OrderRef newOrder() {
    return OrderRef.of(newOrderId(), merchantId(), skuWithStock());
  }

  protected static String newOrderId() {
    return "ord-" + UUID.randomUUID();
  }

  protected static List<UnitIndex> units(int... indexes) {
    return IntStream.of(indexes).mapToObj(UnitIndex::of).toList();
  }

  protected static Instant inFiveMinutes() {
    return Instant.now().plus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
  }

  protected static void assertRefused(Throwable failure, Refusal expected) {
    assertThat(failure).isInstanceOf(MerchantRefusedException.class);
    assertThat(((MerchantRefusedException) failure).refusal()).isEqualTo(expected);
  }

  /** Reserves in ever smaller chunks until refused out of stock: the shop's whole free stock ends up held. */
  private List<Reservation> reserveAllInChunks() {
    List<Reservation> held = new ArrayList<>();
    for (int chunk : new int[] {Reservation.QUANTITY_MAX, 10, 1}) {
      while (true) {
        Future<Reservation> attempt = adapter.reserve(skuWithStock(), chunk, inFiveMinutes());
        Throwable error = failureOrNull(attempt);
        if (error != null) {
          assertRefused(error, Refusal.OUT_OF_STOCK);
          break;
        }
        held.add(result(attempt));
        assertThat(held.size()).as("reservations needed to hold the stock").isLessThan(10_000);
      }
    }
    assertThat(held.stream().map(Reservation::reservationId)).doesNotHaveDuplicates();
    return held;
  }
}
