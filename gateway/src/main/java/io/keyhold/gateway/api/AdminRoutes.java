package io.keyhold.gateway.api;

import io.keyhold.adapters.http.HttpMerchantAdapterFactory;
import io.keyhold.adapters.http.HttpSettings;
import io.keyhold.gateway.store.MerchantService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.core.json.JsonArray;
import java.net.URI;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Operator API: {@code POST /admin/v1/merchants}. A merchant's adapter settings are checked against
 * its type's documented settings ({@code stock}: none; {@code http}: {@link HttpSettings}; a plug-in's:
 * free-form), and every URL in the body against the outbound rules, before anything is stored.
 */
public final class AdminRoutes {
  public static final int NAME_LENGTH_MAX = 200;
  public static final int URL_LENGTH_MAX = 2048;
  public static final int ADAPTER_CONFIG_MEMBERS_MAX = 32;
  public static final String DEFAULT_ADAPTER_TYPE = "stock";
  public static final Pattern ADAPTER_TYPE = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  private static final Set<String> MERCHANT_FIELDS = Set.of("name", "webhook_url", "fee_basis_points", "adapter");
  private static final Set<String> ADAPTER_FIELDS = Set.of("type", "config");
  private static final Set<String> SETTINGS_FIELDS = Set.of("status", "fee_basis_points");
  private static final Pattern STATUS = Pattern.compile(MerchantService.STATUS_ACTIVE + "|"
      + MerchantService.STATUS_SUSPENDED);

  private final Pool pool;
  private final MerchantService merchants;
  private final Set<String> adapterTypes;
  private final OutboundUrls urls;
  private final Consumer<String> forgetMerchant;

  private AdminRoutes(Pool pool, MerchantService merchants, Set<String> adapterTypes, OutboundUrls urls,
      Consumer<String> forgetMerchant) {
    this.pool = pool;
    this.forgetMerchant = forgetMerchant;
    this.merchants = merchants;
    this.adapterTypes = Set.copyOf(adapterTypes);
    this.urls = urls;
  }

  /**
   * Mounts the routes; {@code adapterTypes} are the adapter types a merchant may name; {@code forgetMerchant} drops
   * what checkout remembers of a merchant whose settings changed.
   */
  public static void mount(Endpoints endpoints, Pool pool, MerchantService merchants, Set<String> adapterTypes,
      OutboundUrls urls, Consumer<String> forgetMerchant) {
    AdminRoutes routes = new AdminRoutes(pool, merchants, adapterTypes, urls, forgetMerchant);
    endpoints.post("createMerchant", Caller.Kind.ADMIN, routes::createMerchant);
    endpoints.get("listMerchants", Caller.Kind.ADMIN, routes::listMerchants);
    endpoints.post("changeMerchant", Caller.Kind.ADMIN, routes::changeMerchant);
  }

  private Future<Reply> listMerchants(ApiRequest request) {
    OrderRoutes.Cursor cursor = OrderRoutes.Cursor.of(request);
    int pageSize = OrderRoutes.PAGE_SIZE_DEFAULT;
    return merchants.list(request.queryParam("q"), cursor == null ? null : cursor.placedAt(),
        cursor == null ? null : cursor.id(), pageSize + 1).map(found -> {
          List<JsonObject> page = found.subList(0, Math.min(pageSize, found.size()));
          JsonObject last = page.isEmpty() ? null : page.get(page.size() - 1);
          String next = found.size() > pageSize ? new OrderRoutes.Cursor(
              OffsetDateTime.parse(last.getString("created_at")), last.getString("id")).encode() : null;
          return Reply.ok(new JsonObject().put("items", new JsonArray(new ArrayList<>(page))).put("next_cursor", next));
        });
  }

  /**
   * Suspends or reactivates a merchant, or sets its fee. A suspended merchant's API key and console sessions stop
   * working within {@link io.keyhold.gateway.store.ShortLivedCache#REUSE_MAX}; orders already placed keep their fee.
   */
  private Future<Reply> changeMerchant(ApiRequest request) {
    JsonInput in = JsonInput.of(request.body(), SETTINGS_FIELDS);
    String status = in.has("status") ? in.requiredMatching("status", STATUS, 16) : null;
    Integer fee = in.has("fee_basis_points") ? (int) in.requiredLong("fee_basis_points", 0, 10_000) : null;
    if (status == null && fee == null && in.valid()) {
      in.reject("status", FieldError.Code.MISSING, "give status, fee_basis_points or both");
    }
    in.done();
    String merchantId = request.pathParam("id");
    return merchants.update(merchantId, status, fee).map(changed -> {
      if (changed == null) {
        throw new ProblemException(ProblemCode.NOT_FOUND, "No such merchant");
      }
      forgetMerchant.accept(merchantId);
      return Reply.ok(changed);
    });
  }

  private Future<Reply> createMerchant(ApiRequest request) {
    Read read = readNewMerchant(request.body(), adapterTypes);
    return urls.check(read.urls()).compose(checked -> pool.withTransaction(tx -> merchants.create(tx, read.merchant())
        .compose(created -> {
          Reply reply = Reply.json(201, created.toJson());
          return request.recordReply(tx, reply).map(reply);
        })));
  }

  /**
   * A merchant read from a request body, and the URLs in it Keyhold would send to, by JSON pointer
   * (checked against the outbound rules next).
   */
  record Read(MerchantService.NewMerchant merchant, Map<String, String> urls) {}

  static Read readNewMerchant(JsonObject body, Set<String> adapterTypes) {
    Map<String, String> urls = new LinkedHashMap<>();
    JsonInput in = JsonInput.of(body, MERCHANT_FIELDS);
    String name = in.requiredString("name", 1, NAME_LENGTH_MAX);
    String webhookUrl = in.optionalString("webhook_url", 1, URL_LENGTH_MAX);
    if (webhookUrl != null && !isHttpUrl(webhookUrl)) {
      in.reject("webhook_url", FieldError.Code.INVALID_FORMAT, "must be an absolute http or https URL");
    } else if (webhookUrl != null) {
      urls.put("/webhook_url", webhookUrl);
    }
    int fee = (int) in.requiredLong("fee_basis_points", 0, 10_000);
    String adapterType = DEFAULT_ADAPTER_TYPE;
    JsonObject adapterConfig = new JsonObject();
    JsonInput adapter = in.optionalObject("adapter", ADAPTER_FIELDS);
    if (adapter != null) {
      String type = adapter.requiredMatching("type", ADAPTER_TYPE, 32);
      if (type != null && !adapterTypes.contains(type)) {
        adapter.reject("type", FieldError.Code.INVALID_VALUE, "must be one of " + new TreeSet<>(adapterTypes));
      }
      adapterType = type == null ? adapterType : type;
      JsonObject config = readAdapterConfig(adapter, adapterType, urls);
      adapterConfig = config == null ? adapterConfig : config;
    }
    in.done();
    return new Read(new MerchantService.NewMerchant(name, webhookUrl, fee, adapterType, adapterConfig), urls);
  }

  /** The adapter's settings as its type documents them; null when absent or after recording errors. */
  private static JsonObject readAdapterConfig(JsonInput adapter, String type, Map<String, String> urls) {
    if (DEFAULT_ADAPTER_TYPE.equals(type)) {
      // The stock adapter takes no settings: any member is unknown.
      adapter.optionalObject("config", Set.of());
      return null;
    }
    if (!HttpMerchantAdapterFactory.TYPE.equals(type)) {
      // A plug-in's settings are its own; its factory checks them when the adapter is built.
      return adapter.optionalRawObject("config", ADAPTER_CONFIG_MEMBERS_MAX);
    }
    JsonInput config = adapter.requiredObject("config", HttpSettings.NAMES);
    if (config == null) {
      return null;
    }
    JsonObject settings = new JsonObject();
    String baseUrl = config.requiredString(HttpSettings.BASE_URL, 1, HttpSettings.URL_LENGTH_MAX);
    if (baseUrl != null) {
      HttpSettings.baseUrlProblem(baseUrl).ifPresentOrElse(
          problem -> config.reject(HttpSettings.BASE_URL, FieldError.Code.INVALID_FORMAT, problem),
          () -> urls.put("/adapter/config/" + HttpSettings.BASE_URL, baseUrl));
      settings.put(HttpSettings.BASE_URL, baseUrl);
    }
    putIfPresent(settings, HttpSettings.SIGNING_SECRET, config.requiredString(HttpSettings.SIGNING_SECRET,
        HttpSettings.SECRET_LENGTH_MIN, HttpSettings.SECRET_LENGTH_MAX));
    putIfPresent(settings, HttpSettings.SIGNING_SECRET_NEXT, config.optionalString(HttpSettings.SIGNING_SECRET_NEXT,
        HttpSettings.SECRET_LENGTH_MIN, HttpSettings.SECRET_LENGTH_MAX));
    if (config.has(HttpSettings.TIMEOUT_MS)) {
      settings.put(HttpSettings.TIMEOUT_MS, config.optionalInt(HttpSettings.TIMEOUT_MS, HttpSettings.TIMEOUT_MS_MIN,
          HttpSettings.TIMEOUT_MS_MAX, HttpSettings.TIMEOUT_MS_MIN));
    }
    if (config.has(HttpSettings.REPLAY_WINDOW_SECONDS)) {
      settings.put(HttpSettings.REPLAY_WINDOW_SECONDS, config.optionalInt(HttpSettings.REPLAY_WINDOW_SECONDS,
          HttpSettings.REPLAY_WINDOW_SECONDS_MIN, HttpSettings.REPLAY_WINDOW_SECONDS_MAX,
          HttpSettings.REPLAY_WINDOW_SECONDS_MIN));
    }
    return settings;
  }

  private static void putIfPresent(JsonObject settings, String name, String value) {
    if (value != null) {
      settings.put(name, value);
    }
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
