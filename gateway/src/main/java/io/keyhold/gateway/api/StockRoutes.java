package io.keyhold.gateway.api;

import io.keyhold.gateway.store.Catalog;
import io.keyhold.gateway.store.StockVault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Set;

/** Merchant API for stock: {@code POST /v1/skus/{id}/stock} (upload keys), {@code GET /v1/skus/{id}/stock}. */
public final class StockRoutes {
  private static final Set<String> UPLOAD_FIELDS = Set.of("keys");

  private final Pool pool;
  private final Catalog catalog;
  private final StockVault stock;

  private StockRoutes(Pool pool, Catalog catalog, StockVault stock) {
    this.pool = pool;
    this.catalog = catalog;
    this.stock = stock;
  }

  public static void mount(Endpoints endpoints, Pool pool, Catalog catalog, StockVault stock) {
    StockRoutes routes = new StockRoutes(pool, catalog, stock);
    endpoints.post("uploadStock", Caller.Kind.MERCHANT, routes::upload);
    endpoints.get("getStock", Caller.Kind.MERCHANT, routes::counts);
  }

  private Future<Reply> upload(ApiRequest request) {
    JsonInput in = JsonInput.of(request.body(), UPLOAD_FIELDS);
    List<String> keys = in.requiredStrings("keys", 1, stock.batchMax(), 1, StockVault.KEY_LENGTH_MAX);
    in.done();
    String merchantId = request.merchantId();
    String skuId = request.pathParam("id");
    // The SKU is checked before any crypto work, so a stranger's SKU costs nothing and answers 404.
    return catalog.find(pool, merchantId, skuId)
        .compose(sku -> sku == null ? Future.failedFuture(CatalogRoutes.notFound()) : prepare(merchantId, skuId, keys))
        .compose(prepared -> pool.withTransaction(tx -> stock.upload(tx, prepared).compose(result -> {
          Reply reply = Reply.json(201, new JsonObject().put("sku_id", skuId).put("accepted", result.accepted()));
          return request.recordReply(tx, reply).map(reply);
        })));
  }

  /** Refuses keys the vault will not take (all of them named at once), then seals and fingerprints them. */
  private Future<StockVault.PreparedKeys> prepare(String merchantId, String skuId, List<String> keys) {
    List<StockVault.UnusableKey> unusable = StockVault.unusableKeys(keys);
    if (!unusable.isEmpty()) {
      return Future.failedFuture(new ProblemException(Problem.invalid(unusable.stream()
          .map(bad -> new FieldError("/keys/" + bad.index(), FieldError.Code.INVALID_VALUE, bad.reason()))
          .toList())));
    }
    return stock.prepare(merchantId, skuId, keys);
  }

  private Future<Reply> counts(ApiRequest request) {
    String merchantId = request.merchantId();
    String skuId = request.pathParam("id");
    return catalog.find(pool, merchantId, skuId)
        .compose(sku -> sku == null ? Future.failedFuture(CatalogRoutes.notFound()) : stock.counts(merchantId, skuId))
        .map(counts -> Reply.ok(new JsonObject().put("sku_id", skuId).put("stock", counts.toJson())));
  }
}
