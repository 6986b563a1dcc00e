package io.keyhold.gateway.api;

import io.keyhold.gateway.store.MerchantService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.net.URI;
import java.util.Set;
import java.util.regex.Pattern;

/** Operator API: {@code POST /admin/v1/merchants}. */
public final class AdminRoutes {
  public static final int NAME_LENGTH_MAX = 200;
  public static final int URL_LENGTH_MAX = 2048;
  public static final int ADAPTER_CONFIG_MEMBERS_MAX = 32;
  public static final String DEFAULT_ADAPTER_TYPE = "stock";
  public static final Pattern ADAPTER_TYPE = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  private static final Set<String> MERCHANT_FIELDS = Set.of("name", "webhook_url", "fee_basis_points", "adapter");
  private static final Set<String> ADAPTER_FIELDS = Set.of("type", "config");

  private final Pool pool;
  private final MerchantService merchants;

  private AdminRoutes(Pool pool, MerchantService merchants) {
    this.pool = pool;
    this.merchants = merchants;
  }

  public static void mount(Endpoints endpoints, Pool pool, MerchantService merchants) {
    AdminRoutes routes = new AdminRoutes(pool, merchants);
    endpoints.post("createMerchant", Caller.Kind.ADMIN, routes::createMerchant);
  }

  private Future<Reply> createMerchant(ApiRequest request) {
    MerchantService.NewMerchant merchant = readNewMerchant(request.body());
    return pool.withTransaction(tx -> merchants.create(tx, merchant).compose(created -> {
      Reply reply = Reply.json(201, created.toJson());
      return request.recordReply(tx, reply).map(reply);
    }));
  }

  static MerchantService.NewMerchant readNewMerchant(JsonObject body) {
    JsonInput in = JsonInput.of(body, MERCHANT_FIELDS);
    String name = in.requiredString("name", 1, NAME_LENGTH_MAX);
    String webhookUrl = in.optionalString("webhook_url", 1, URL_LENGTH_MAX);
    if (webhookUrl != null && !isHttpUrl(webhookUrl)) {
      in.reject("webhook_url", FieldError.Code.INVALID_FORMAT, "must be an absolute http or https URL");
    }
    int fee = (int) in.requiredLong("fee_basis_points", 0, 10_000);
    String adapterType = DEFAULT_ADAPTER_TYPE;
    JsonObject adapterConfig = new JsonObject();
    JsonInput adapter = in.optionalObject("adapter", ADAPTER_FIELDS);
    if (adapter != null) {
      String type = adapter.requiredMatching("type", ADAPTER_TYPE, 32);
      adapterType = type == null ? adapterType : type;
      JsonObject config = adapter.optionalRawObject("config", ADAPTER_CONFIG_MEMBERS_MAX);
      adapterConfig = config == null ? adapterConfig : config;
    }
    in.done();
    return new MerchantService.NewMerchant(name, webhookUrl, fee, adapterType, adapterConfig);
  }

  /** An absolute http(s) URL with a host. */
  public static boolean isHttpUrl(String value) {
    try {
      URI uri = new URI(value);
      return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
    } catch (Exception e) {
      return false;
    }
  }
}
