package io.keyhold.gateway.catalog;

import io.keyhold.gateway.admin.AdminRoutes;
import io.keyhold.gateway.http.ApiRequest;
import io.keyhold.gateway.http.Caller;
import io.keyhold.gateway.http.Endpoints;
import io.keyhold.gateway.http.JsonInput;
import io.keyhold.gateway.http.OutboundUrls;
import io.keyhold.gateway.http.ProblemCode;
import io.keyhold.gateway.http.ProblemException;
import io.keyhold.gateway.http.Reply;
import io.keyhold.gateway.stock.StockVault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merchant API for SKUs: {@code POST /v1/skus}, {@code GET /v1/skus/{id}}. A SKU is stored only when
 * every validator on it could run: its settings read with their documented bounds, and an
 * {@code http} validator's URL passing the outbound rules.
 */
public final class CatalogRoutes {
  public static final int NAME_LENGTH_MAX = 200;

  private static final Set<String> SKU_FIELDS =
      Set.of("name", "price", "currency", "policy", "adapter", "validators");

  private final Pool pool;
  private final Catalog catalog;
  private final StockVault stock;
  private final OutboundUrls urls;

  private CatalogRoutes(Pool pool, Catalog catalog, StockVault stock, OutboundUrls urls) {
    this.pool = pool;
    this.catalog = catalog;
    this.stock = stock;
    this.urls = urls;
  }

  public static void mount(Endpoints endpoints, Pool pool, Catalog catalog, StockVault stock, OutboundUrls urls) {
    CatalogRoutes routes = new CatalogRoutes(pool, catalog, stock, urls);
    endpoints.post("createSku", Caller.Kind.MERCHANT, routes::createSku);
    endpoints.get("getSku", Caller.Kind.MERCHANT, routes::getSku);
  }

  private Future<Reply> createSku(ApiRequest request) {
    Map<String, String> validatorUrls = new LinkedHashMap<>();
    NewSku sku = readNewSku(request.body(), validatorUrls);
    return urls.check(validatorUrls).compose(checked -> pool.withTransaction(tx -> catalog
        .create(tx, request.merchantId(), sku)
        .compose(created -> {
          JsonObject body = created.toJson().put("stock", StockVault.StockCounts.EMPTY.toJson());
          Reply reply = Reply.created(body, "/v1/skus/" + created.id());
          return request.recordReply(tx, reply).map(reply);
        })));
  }

  private Future<Reply> getSku(ApiRequest request) {
    String merchantId = request.merchantId();
    return catalog.find(pool, merchantId, request.pathParam("id")).compose(sku -> {
      if (sku == null) {
        return Future.failedFuture(notFound());
      }
      return stock.counts(merchantId, sku.id()).map(counts -> Reply.ok(sku.toJson().put("stock", counts.toJson())));
    });
  }

  /** The same answer for "no such SKU" and "another merchant's SKU". */
  public static ProblemException notFound() {
    return new ProblemException(ProblemCode.NOT_FOUND, "No such SKU");
  }

  /** Reads the body; the URLs Keyhold would send to go in {@code urls}, by JSON pointer. */
  static NewSku readNewSku(JsonObject body, Map<String, String> urls) {
    JsonInput in = JsonInput.of(body, SKU_FIELDS);
    String name = in.requiredString("name", 1, NAME_LENGTH_MAX);
    long price = in.requiredLong("price", 1, Catalog.PRICE_MINOR_MAX);
    String currency = in.requiredCurrency("currency");
    DeadlinePolicy policy = DeadlinePolicy.read(in.optionalObject("policy", DeadlinePolicy.FIELDS));
    String adapter = in.has("adapter")
        ? in.requiredMatching("adapter", AdminRoutes.ADAPTER_TYPE, 32)
        : AdminRoutes.DEFAULT_ADAPTER_TYPE;
    List<ValidatorSpec.New> validators = new ArrayList<>();
    List<JsonInput> specs = in.objects("validators", 0, Catalog.VALIDATORS_MAX, ValidatorSpec.FIELDS);
    if (specs != null) {
      for (int i = 0; i < specs.size(); i++) {
        ValidatorSpec.New validator = ValidatorSpec.read(specs.get(i), i, urls);
        if (validator != null) {
          validators.add(validator);
        }
      }
    }
    in.done();
    return new NewSku(name, price, currency, policy, adapter, validators);
  }
}
