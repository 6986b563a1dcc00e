package io.keyhold.gateway.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.contract.Await;
import io.keyhold.adapters.contract.MerchantAdapterContract;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.Reservation;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built-in {@code stock} adapter passes the adapter contract kit, over a real database: every test
 * gets a new merchant with one SKU of {@value MerchantAdapterContract#STOCK_MIN} uploaded keys and one
 * empty SKU.
 */
class StockAdapterContractTest extends MerchantAdapterContract {
  static TestGateway gw;

  private String merchantId;
  private String skuWithStock;
  private String skuWithoutStock;

  @BeforeAll
  static void startGateway() throws Exception {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stopGateway() throws Exception {
    gw.close();
  }

  @Override
  protected Future<MerchantAdapter> createAdapter(Vertx vertx) {
    TestGateway.Merchant merchant = gw.createMerchant("Contract shop");
    merchantId = merchant.id();
    skuWithStock = gw.createSku(merchant);
    skuWithoutStock = gw.createSku(merchant);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < STOCK_MIN; i++) {
      keys.add("CONTRACT-" + UUID.randomUUID());
    }
    TestGateway.Response uploaded = gw.uploadKeys(merchant, skuWithStock, keys);
    if (uploaded.status() != 201) {
      return Future.failedFuture(new IllegalStateException("upload answered " + uploaded));
    }
    StockAdapter.Factory factory = new StockAdapter.Factory(gw.gateway().pool(), gw.gateway().pool(), gw.gateway().stock());
    return factory.create(AdapterContext.builder().vertx(vertx).merchantId(merchantId).config(new JsonObject()).build());
  }

  @Override
  protected String merchantId() {
    return merchantId;
  }

  @Override
  protected String skuWithStock() {
    return skuWithStock;
  }

  @Override
  protected String skuWithoutStock() {
    return skuWithoutStock;
  }

  // ---- the stock adapter's own

  @Test
  void deliversTheReservedKeysFirstThenFreeOnesAndRemembersEach() {
    Reservation reservation = Await.result(adapter.reserve(skuWithStock, 1, inFiveMinutes()));
    OrderRef order = newOrder().withReservation(reservation.reservationId());

    List<DeliveredKey> keys = Await.result(adapter.provide(order, units(2, 0)));

    assertThat(keys).extracting(DeliveredKey::unit).containsExactly(UnitIndex.of(0), UnitIndex.of(2));
    assertThat(keys.stream().map(DeliveredKey::key).distinct()).hasSize(2);
    List<Row> remembered = gw.query("SELECT d.unit_index, k.state FROM stock_deliveries d JOIN stock_keys k"
        + " ON k.merchant_id = d.merchant_id AND k.id = d.stock_key_id WHERE d.merchant_id = $1 AND d.order_ref = $2"
        + " AND d.attempt = 0 ORDER BY d.stock_key_id", merchantId, order.orderId());
    assertThat(remembered).extracting(row -> row.getInteger("unit_index")).as("the reserved key, the lower id, to unit 0")
        .containsExactly(0, 2);
    assertThat(remembered).extracting(row -> row.getString("state")).containsOnly("delivered");
    assertThat(gw.query("SELECT count(*) FROM stock_keys WHERE merchant_id = $1 AND state = 'reserved'", merchantId)
        .get(0).getLong(0)).as("keys still reserved").isZero();
    assertThat(Await.result(adapter.provide(order, units(0, 2)))).as("asked again").isEqualTo(keys);
  }

  @Test
  void firstDeliveryInTheCallersTransactionTakesAndRemembersWithoutLookingForEarlierOnes() {
    StockAdapter stock = (StockAdapter) adapter;
    Reservation reservation = Await.result(adapter.reserve(skuWithStock, 2, inFiveMinutes()));
    OrderRef order = newOrder().withReservation(reservation.reservationId());

    List<DeliveredKey> keys = Await.result(gw.gateway().pool()
        .withTransaction(tx -> stock.provideFirst(tx, order, units(1, 0))));

    assertThat(keys).extracting(DeliveredKey::unit).containsExactly(UnitIndex.of(0), UnitIndex.of(1));
    assertThat(Await.result(adapter.provide(order, units(0, 1)))).as("asked again, the keys remembered")
        .isEqualTo(keys);
  }

  @Test
  void firstDeliveryOfAUnitRememberedAlreadyFailsAndTakesNothing() {
    StockAdapter stock = (StockAdapter) adapter;
    OrderRef order = newOrder();
    List<DeliveredKey> earlier = Await.result(adapter.provide(order, units(0)));
    long free = gw.query("SELECT count(*) FROM stock_keys WHERE merchant_id = $1 AND state = 'available'", merchantId)
        .get(0).getLong(0);

    Throwable failure = gw.gateway().pool().withTransaction(tx -> stock.provideFirst(tx, order, units(0)))
        .toCompletionStage().toCompletableFuture().handle((keys, thrown) -> thrown).join();

    assertThat(failure).as("the remembering insert meets the earlier delivery").isNotNull()
        .isNotInstanceOf(io.keyhold.adapters.spi.MerchantRefusedException.class);
    assertThat(gw.query("SELECT count(*) FROM stock_keys WHERE merchant_id = $1 AND state = 'available'", merchantId)
        .get(0).getLong(0)).as("free keys after the rolled-back take").isEqualTo(free);
    assertThat(Await.result(adapter.provide(order, units(0)))).as("the earlier key still answers").isEqualTo(earlier);
  }
}
