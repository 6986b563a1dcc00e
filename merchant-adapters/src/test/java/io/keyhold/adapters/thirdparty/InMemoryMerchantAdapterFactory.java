package io.keyhold.adapters.thirdparty;

import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.MerchantAdapterFactory;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/** Factory of the third-party in-memory adapter; listed in src/test/resources/META-INF/services. */
public final class InMemoryMerchantAdapterFactory implements MerchantAdapterFactory {

  @Override
  public String type() {
    return "in-memory";
  }

  @Override
  public Future<MerchantAdapter> create(AdapterContext context) {
    JsonObject skus = context.config().getJsonObject("skus", new JsonObject());
    Map<String, Integer> stock = new LinkedHashMap<>();
    skus.forEach(entry -> stock.put(entry.getKey(), ((Number) entry.getValue()).intValue()));
    return Future.succeededFuture(new InMemoryMerchantAdapter(context.merchantId(), context.clock(), stock));
  }
}
