package io.keyhold.adapters.http;

import static io.keyhold.adapters.contract.Await.result;

import io.keyhold.adapters.contract.MerchantAdapterContract;
import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterRegistry;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.adapters.testing.LocalRules;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/** The {@code http} adapter, found by type through ServiceLoader, passes the contract against the reference merchant over real HTTP. */
class HttpMerchantAdapterContractTest extends MerchantAdapterContract {

  private static final String SECRET = "contract-test-secret-0123456789";

  private ReferenceMerchant shop;

  @Override
  protected Future<MerchantAdapter> createAdapter(Vertx vertx) {
    shop = result(ReferenceMerchant.start(vertx, ReferenceMerchantOptions.builder()
        .sku("stocked", STOCK_MIN)
        .sku("empty", 0)
        .secret(SECRET)
        .build()));
    AdapterContext context = AdapterContext.builder()
        .vertx(vertx)
        .merchantId(merchantId())
        .config(new JsonObject().put("base_url", shop.baseUrl()))
        .outboundRules(LocalRules.LOOPBACK)
        .secrets(Secrets.of(Map.of("signing_secret", SECRET)))
        .build();
    return AdapterRegistry.load().createAdapter("http", context);
  }

  @Override
  protected Future<Void> closeShop() {
    return shop == null ? Future.succeededFuture() : shop.close();
  }

  @Override
  protected String merchantId() {
    return "shop-a";
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
