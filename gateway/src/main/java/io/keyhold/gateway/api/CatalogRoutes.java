package io.keyhold.gateway.api;

import io.keyhold.adapters.http.HttpSettings;
import io.keyhold.escrow.Compensation;
import io.keyhold.escrow.LatePaymentPolicy;
import io.keyhold.escrow.SkuPolicy;
import io.keyhold.escrow.UnknownVerdictPolicy;
import io.keyhold.gateway.store.Catalog;
import io.keyhold.gateway.store.NewSku;
import io.keyhold.gateway.store.Sku;
import io.keyhold.gateway.store.StockVault;
import io.keyhold.gateway.store.ValidatorSpec;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Merchant API for SKUs: {@code POST /v1/skus}, {@code GET /v1/skus/{id}}, {@code GET /v1/skus?q=&cursor=}. A SKU is stored only when
 * every validator on it could run: its settings read with their documented bounds, and an
 * {@code http} validator's URL passing the outbound rules.
 */
public final class CatalogRoutes {
  private static final Set<String> POLICY_FIELDS = Set.of("pay_within_seconds", "deliver_within_seconds", "validate_within_seconds",
      "resupply_within_seconds", "max_resupply_attempts", "inspection_window_seconds", "max_hold_seconds",
      "unknown_verdict_policy", "late_payment_policy", "compensation");
  private static final Set<String> COMPENSATION_FIELDS = Set.of("basis", "value");
  private static final int POLICY_CODE_LENGTH_MAX = 32;
  private static final Set<String> VALIDATOR_FORMAT_FIELDS = Set.of("type", "pattern", "checksum");
  private static final Set<String> VALIDATOR_HTTP_FIELDS = Set.of("type", "url", HttpSettings.SIGNING_SECRET,
      HttpSettings.SIGNING_SECRET_NEXT, HttpSettings.TIMEOUT_MS, HttpSettings.REPLAY_WINDOW_SECONDS);
  private static final Set<String> VALIDATOR_FIELDS = union(VALIDATOR_FORMAT_FIELDS, VALIDATOR_HTTP_FIELDS);
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
    endpoints.get("listSkus", Caller.Kind.MERCHANT, routes::listSkus);
  }

  /** One page of the merchant's SKUs with their stock counts: two statements, whatever the page holds. */
  private Future<Reply> listSkus(ApiRequest request) {
    OrderRoutes.Cursor cursor = OrderRoutes.Cursor.of(request);
    String merchantId = request.merchantId();
    int pageSize = OrderRoutes.PAGE_SIZE_DEFAULT;
    return catalog.list(pool, merchantId, request.queryParam("q"), cursor == null ? null : cursor.placedAt(),
            cursor == null ? null : cursor.id(), pageSize + 1)
        .compose(skus -> {
          List<Sku> page = skus.subList(0, Math.min(pageSize, skus.size()));
          return stock.counts(merchantId, page.stream().map(Sku::id).toList()).map(counts -> {
            JsonArray items = new JsonArray();
            page.forEach(sku -> items.add(sku.toJson().put("stock", counts.get(sku.id()).toJson())));
            Sku last = page.isEmpty() ? null : page.get(page.size() - 1);
            String next = skus.size() > pageSize ? new OrderRoutes.Cursor(last.createdAt(), last.id()).encode() : null;
            return Reply.ok(new JsonObject().put("items", items).put("next_cursor", next));
          });
        });
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
    SkuPolicy policy = readPolicy(in.optionalObject("policy", POLICY_FIELDS));
    String adapter = in.has("adapter")
        ? in.requiredMatching("adapter", AdminRoutes.ADAPTER_TYPE, 32)
        : AdminRoutes.DEFAULT_ADAPTER_TYPE;
    List<ValidatorSpec.New> validators = new ArrayList<>();
    List<JsonInput> specs = in.objects("validators", 0, Catalog.VALIDATORS_MAX, VALIDATOR_FIELDS);
    if (specs != null) {
      for (int i = 0; i < specs.size(); i++) {
        ValidatorSpec.New validator = readValidator(specs.get(i), i, urls);
        if (validator != null) {
          validators.add(validator);
        }
      }
    }
    in.done();
    return new NewSku(name, price, currency, policy, adapter, validators);
  }

  /** Reads the {@code policy} object; absent members take {@link SkuPolicy#defaults()}' values. */
  private static SkuPolicy readPolicy(JsonInput in) {
    SkuPolicy d = SkuPolicy.defaults();
    if (in == null) {
      return d;
    }
    Duration pay = seconds(in, "pay_within_seconds", SkuPolicy.PAY_WITHIN_MIN, SkuPolicy.PAY_WITHIN_MAX,
        d.payWithin());
    Duration deliver = seconds(in, "deliver_within_seconds", SkuPolicy.DELIVER_WITHIN_MIN,
        SkuPolicy.DELIVER_WITHIN_MAX, d.deliverWithin());
    Duration validate = seconds(in, "validate_within_seconds", SkuPolicy.VALIDATE_WITHIN_MIN,
        SkuPolicy.VALIDATE_WITHIN_MAX, d.validateWithin());
    Duration resupply = seconds(in, "resupply_within_seconds", SkuPolicy.RESUPPLY_WITHIN_MIN,
        SkuPolicy.RESUPPLY_WITHIN_MAX, d.resupplyWithin());
    int attempts = in.optionalInt("max_resupply_attempts", 0, SkuPolicy.MAX_RESUPPLY_ATTEMPTS_MAX,
        d.maxResupplyAttempts());
    Duration inspection = seconds(in, "inspection_window_seconds", SkuPolicy.INSPECTION_WINDOW_MIN,
        SkuPolicy.INSPECTION_WINDOW_MAX, d.inspectionWindow());
    Duration hold = seconds(in, "max_hold_seconds", SkuPolicy.MAX_HOLD_MIN, SkuPolicy.MAX_HOLD_MAX, d.maxHold());
    UnknownVerdictPolicy unknown = policyCode(in, "unknown_verdict_policy", UnknownVerdictPolicy::fromCode,
        d.unknownVerdictPolicy());
    LatePaymentPolicy late = policyCode(in, "late_payment_policy", LatePaymentPolicy::fromCode,
        d.latePaymentPolicy());
    Compensation compensation = readCompensation(in.optionalObject("compensation", COMPENSATION_FIELDS));
    return in.valid()
        ? new SkuPolicy(pay, deliver, resupply, attempts, validate, inspection, hold, unknown, late, compensation)
        : d;
  }

  /** The optional {@code policy.compensation}: a basis and a value within the basis' bounds; null when absent. */
  private static Compensation readCompensation(JsonInput in) {
    if (in == null) {
      return null;
    }
    Compensation.Basis basis = policyCode(in, "basis", Compensation.Basis::fromCode, null);
    if (basis == null && !in.has("basis")) {
      in.requiredString("basis", 1, POLICY_CODE_LENGTH_MAX);
    }
    long max = basis == Compensation.Basis.BASIS_POINTS ? Compensation.BASIS_POINTS_MAX : Compensation.FIXED_MINOR_MAX;
    long value = in.requiredLong("value", 1, max);
    return basis == null || !in.valid() ? null : new Compensation(basis, value);
  }

  /** An optional duration in whole seconds within {@code [min, max]}. */
  private static Duration seconds(JsonInput in, String field, Duration min, Duration max, Duration fallback) {
    return Duration.ofSeconds(in.optionalInt(field, Math.toIntExact(min.getSeconds()),
        Math.toIntExact(max.getSeconds()), Math.toIntExact(fallback.getSeconds())));
  }

  /** An optional policy code; an unknown one is recorded as {@code invalid_value}. */
  private static <T> T policyCode(JsonInput in, String field, Function<String, T> fromCode, T fallback) {
    String code = in.optionalString(field, 1, POLICY_CODE_LENGTH_MAX);
    if (code == null) {
      return fallback;
    }
    try {
      return fromCode.apply(code);
    } catch (IllegalArgumentException e) {
      in.reject(field, FieldError.Code.INVALID_VALUE, "is not one of the known codes");
      return fallback;
    }
  }

  /**
   * Reads element {@code index} of {@code validators}; null after recording errors in {@code in}. A
   * field of the other type is {@code unknown_field}; an {@code http} validator is read with the
   * names and bounds of {@link HttpSettings}, its URL put in {@code urls} for the outbound check.
   */
  private static ValidatorSpec.New readValidator(JsonInput in, int index, Map<String, String> urls) {
    String type = in.requiredString("type", 1, 16);
    if (type == null) {
      return null;
    }
    if (ValidatorSpec.FORMAT.equals(type)) {
      rejectOthers(in, VALIDATOR_FORMAT_FIELDS, "is only for http validators");
      String pattern = in.requiredString("pattern", 1, ValidatorSpec.PATTERN_LENGTH_MAX);
      if (pattern != null) {
        try {
          Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
          in.reject("pattern", FieldError.Code.INVALID_FORMAT, "must be a valid regular expression");
        }
      }
      String checksum = in.optionalString("checksum", 1, 16);
      if (checksum != null && !ValidatorSpec.CHECKSUMS.contains(checksum)) {
        in.reject("checksum", FieldError.Code.INVALID_VALUE, "must be one of " + ValidatorSpec.CHECKSUMS);
      }
      return ValidatorSpec.New.of(ValidatorSpec.format(pattern, checksum == null ? "none" : checksum));
    }
    if (ValidatorSpec.HTTP.equals(type)) {
      rejectOthers(in, VALIDATOR_HTTP_FIELDS, "is only for format validators");
      String url = in.requiredString("url", 1, AdminRoutes.URL_LENGTH_MAX);
      if (url != null) {
        HttpSettings.baseUrlProblem(url).ifPresentOrElse(
            problem -> in.reject("url", FieldError.Code.INVALID_FORMAT, problem),
            () -> urls.put("/validators/" + index + "/url", url));
      }
      Map<String, String> secrets = new LinkedHashMap<>();
      String secret = in.requiredString(HttpSettings.SIGNING_SECRET, HttpSettings.SECRET_LENGTH_MIN,
          HttpSettings.SECRET_LENGTH_MAX);
      String next = in.optionalString(HttpSettings.SIGNING_SECRET_NEXT, HttpSettings.SECRET_LENGTH_MIN,
          HttpSettings.SECRET_LENGTH_MAX);
      if (secret != null) {
        secrets.put(HttpSettings.SIGNING_SECRET, secret);
      }
      if (next != null) {
        secrets.put(HttpSettings.SIGNING_SECRET_NEXT, next);
      }
      Integer timeoutMs = in.has(HttpSettings.TIMEOUT_MS)
          ? in.optionalInt(HttpSettings.TIMEOUT_MS, HttpSettings.TIMEOUT_MS_MIN, HttpSettings.TIMEOUT_MS_MAX, 0)
          : null;
      Integer window = in.has(HttpSettings.REPLAY_WINDOW_SECONDS)
          ? in.optionalInt(HttpSettings.REPLAY_WINDOW_SECONDS, HttpSettings.REPLAY_WINDOW_SECONDS_MIN,
              HttpSettings.REPLAY_WINDOW_SECONDS_MAX, 0)
          : null;
      return new ValidatorSpec.New(new ValidatorSpec(ValidatorSpec.HTTP, null, null, url, timeoutMs, window, null), secrets);
    }
    in.reject("type", FieldError.Code.INVALID_VALUE, "must be one of " + ValidatorSpec.TYPES);
    return null;
  }

  private static void rejectOthers(JsonInput in, Set<String> allowed, String message) {
    for (String field : VALIDATOR_FIELDS) {
      if (!allowed.contains(field) && in.has(field)) {
        in.reject(field, FieldError.Code.UNKNOWN_FIELD, message);
      }
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }
}
