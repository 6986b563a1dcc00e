package io.keyhold.gateway.adapters;

import io.keyhold.adapters.contract.MerchantAdapterContract;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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
}
