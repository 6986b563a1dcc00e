package io.keyhold.adapters.thirdparty;

import io.keyhold.adapters.contract.MerchantAdapterContract;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterRegistry;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** An adapter from outside the module's main code is found by ServiceLoader and passes the same contract. */
class InMemoryMerchantAdapterContractTest extends MerchantAdapterContract {

  @Override
  protected Future<MerchantAdapter> createAdapter(Vertx vertx) {
    AdapterContext context = AdapterContext.builder()
        .vertx(vertx)
        .merchantId(merchantId())
        .config(new JsonObject().put("skus", new JsonObject().put("stocked", STOCK_MIN).put("empty", 0)))
        .build();
    return AdapterRegistry.load().createAdapter("in-memory", context);
  }

  @Override
  protected String merchantId() {
    return "shop-memory";
  }

  @Override
  protected String skuWithStock() {
    return "stocked";
  }

  @Override
  protected String skuWithoutStock() {
    return "empty";
  }
}
