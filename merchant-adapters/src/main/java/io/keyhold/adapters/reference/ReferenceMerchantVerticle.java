package io.keyhold.adapters.reference;

import io.keyhold.adapters.http.MerchantProtocol;
import io.keyhold.adapters.signature.SignatureCheck;
import io.keyhold.adapters.signature.Signatures;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.Identifiers;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference merchant's HTTP server: the merchant protocol and issuer check of PROTOCOL.md, plus
 * unsigned admin endpoints for faults and statistics. All state lives on this verticle's event loop.
 */
final class ReferenceMerchantVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ReferenceMerchantVerticle.class);
  /** Admin bodies are tiny. */
  private static final int MAX_ADMIN_BODY_BYTES = 4_096;
  private static final long EXPIRY_SWEEP_MS = 1_000;

  private final ReferenceMerchantOptions options;
  private final Signatures merchantSignatures;
  private final Signatures issuerSignatures;
  private final SplittableRandom random;
  private volatile Faults faults;
  private ReferenceStock stock;
  private HttpServer server;
  private long sweepTimer = -1;
  private final Set<Long> holdTimers = new HashSet<>();
  private final Map<Faults.Scope, SentAnswer> lastAnswer = new EnumMap<>(Faults.Scope.class);

  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong rejectedSignatures = new AtomicLong();
  private final AtomicLong heldRequests = new AtomicLong();
  private final AtomicLong injectedErrors = new AtomicLong();

  private record SentAnswer(int status, String contentType, Buffer body, String signature) {}

  ReferenceMerchantVerticle(ReferenceMerchantOptions options) {
    this.options = options;
    this.merchantSignatures = signatures(options.secrets());
    this.issuerSignatures = signatures(options.issuerSecrets());
    this.random = new SplittableRandom(options.seed());
    this.faults = options.faults();
  }

  private Signatures signatures(List<String> secrets) {
    return Signatures.builder()
        .secrets(secrets)
        .clock(options.clock())
        .replayWindowSeconds(options.replayWindowSeconds())
        .build();
  }

  @Override
  public Future<?> start() {
    stock = new ReferenceStock(options.stock(), options.clock(), random.split());
    Router router = Router.router(vertx);
    router.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(MerchantProtocol.MAX_BODY_BYTES));
    router.route("/_*").handler(BodyHandler.create(false).setBodyLimit(MAX_ADMIN_BODY_BYTES));
    router.post(MerchantProtocol.PATH_RESERVATIONS).handler(protocol(Faults.Scope.MERCHANT, this::reserve));
    router.post(MerchantProtocol.PATH_CANCEL_RESERVATION).handler(protocol(Faults.Scope.MERCHANT, this::cancel));
    router.post(MerchantProtocol.PATH_DELIVERIES).handler(protocol(Faults.Scope.MERCHANT, this::deliver));
    router.post(MerchantProtocol.PATH_REPLACEMENTS).handler(protocol(Faults.Scope.MERCHANT, this::replace));
    router.post(MerchantProtocol.PATH_CHECKS).handler(protocol(Faults.Scope.ISSUER, this::check));
    router.get("/_faults").handler(ctx -> admin(ctx, 200, faults.toJson()));
    router.post("/_faults").handler(this::setFaults);
    router.get("/_stats").handler(ctx -> admin(ctx, 200, stats()));
    router.post("/_issuer/redeem").handler(this::redeem);
    router.route("/v1/*").failureHandler(this::protocolFailure);
    router.route().failureHandler(ctx -> admin(ctx, ctx.statusCode() > 0 ? ctx.statusCode() : 500,
        problem(ctx.statusCode() > 0 ? ctx.statusCode() : 500, "bad_request", "admin request failed", null)));
    sweepTimer = vertx.setPeriodic(EXPIRY_SWEEP_MS, id -> stock.expireDue());
    server = vertx.createHttpServer().requestHandler(router);
    return server.listen(options.port(), options.host());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    holdTimers.forEach(vertx::cancelTimer);
    return server.close();
  }

  int actualPort() {
    return server.actualPort();
  }

  void faults(Faults faults) {
    this.faults = faults;
  }

  Faults faults() {
    return faults;
  }

  /** Runs {@code action} on this verticle's event loop, where the stock lives. */
  <T> Future<T> onLoop(Supplier<T> action) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        promise.complete(action.get());
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  JsonObject stats() {
    return new JsonObject()
        .put("requests", requests.get())
        .put("rejected_signatures", rejectedSignatures.get())
        .put("held_requests", heldRequests.get())
        .put("injected_errors", injectedErrors.get())
        .put("keys_handed_out", stock.keysHandedOut())
        .put("free_keys", new JsonObject(new LinkedHashMap<>(stock.freeCounts())));
  }

  boolean redeem(String key) {
    return stock.redeem(key);
  }

  // ---- protocol plumbing -------------------------------------------------------------------------

  private Handler<RoutingContext> protocol(Faults.Scope scope, Function<JsonObject, JsonObject> logic) {
    return ctx -> {
      requests.incrementAndGet();
      Faults current = faults.appliesTo(scope) ? faults : Faults.none();
      if (roll(current.timeoutRate())) {
        hold(ctx);
        return;
      }
      if (current.latencyMs() > 0) {
        vertx.setTimer(current.latencyMs(), id -> answer(ctx, scope, current, logic));
      } else {
        answer(ctx, scope, current, logic);
      }
    };
  }

  private void hold(RoutingContext ctx) {
    heldRequests.incrementAndGet();
    long[] timer = new long[1];
    timer[0] = vertx.setTimer(options.holdMs(), id -> {
      holdTimers.remove(timer[0]);
      ctx.request().connection().close();
    });
    holdTimers.add(timer[0]);
  }

  private void answer(RoutingContext ctx, Faults.Scope scope, Faults current, Function<JsonObject, JsonObject> logic) {
    Signatures signatures = scope == Faults.Scope.ISSUER ? issuerSignatures : merchantSignatures;
    Buffer body = ctx.body().buffer() != null ? ctx.body().buffer() : Buffer.buffer();
    SignatureCheck check = signatures.verify(ctx.request().getHeader(Signatures.HEADER), body);
    JsonObject request = parse(body);
    String requestId = request != null && Identifiers.isValid(stringOrNull(request, "request_id"))
        ? request.getString("request_id")
        : null;
    if (!check.isValid()) {
      rejectedSignatures.incrementAndGet();
      send(ctx, scope, current, 401, problem(401, "bad_signature", "request signature " + check.code(), requestId));
      return;
    }
    if (request == null || requestId == null) {
      send(ctx, scope, current, 400, problem(400, "bad_request",
          request == null ? "body is not a JSON object" : "request_id is missing or malformed", null));
      return;
    }
    if (roll(current.errorRate())) {
      injectedErrors.incrementAndGet();
      send(ctx, scope, current, 500, problem(500, "server_error", "injected error", requestId));
      return;
    }
    JsonObject answer;
    try {
      answer = new JsonObject().put("request_id", requestId).mergeIn(logic.apply(request));
    } catch (ProtocolProblem refusal) {
      send(ctx, scope, current, refusal.status(), problem(refusal.status(), refusal.code(), refusal.getMessage(), requestId));
      return;
    } catch (RuntimeException e) {
      LOG.error("reference merchant failed on {}", ctx.normalizedPath(), e);
      send(ctx, scope, current, 500, problem(500, "server_error", "internal error", requestId));
      return;
    }
    send(ctx, scope, current, 200, answer);
  }

  private void protocolFailure(RoutingContext ctx) {
    int status = ctx.statusCode() == 413 ? 413 : 400;
    String code = status == 413 ? "body_too_large" : "bad_request";
    Faults current = faults.appliesTo(Faults.Scope.MERCHANT) ? faults : Faults.none();
    send(ctx, Faults.Scope.MERCHANT, current, status, problem(status, code, "request rejected", null));
  }

  private void send(RoutingContext ctx, Faults.Scope scope, Faults current, int status, JsonObject body) {
    if (ctx.response().ended()) {
      return;
    }
    String contentType = status < 300 ? MerchantProtocol.CONTENT_TYPE_JSON : MerchantProtocol.CONTENT_TYPE_PROBLEM;
    Buffer raw = roll(current.malformedRate()) ? malform(body, current.malformed()) : body.toBuffer();
    Signatures signatures = scope == Faults.Scope.ISSUER ? issuerSignatures : merchantSignatures;
    SentAnswer sent = new SentAnswer(status, contentType, raw, signatures.sign(raw));
    if (roll(current.signatureFaultRate())) {
      sent = withWrongSignature(scope, sent, current.signatureFault());
    } else {
      lastAnswer.put(scope, sent);
    }
    ctx.response().setStatusCode(sent.status()).putHeader(HttpHeaders.CONTENT_TYPE, sent.contentType());
    if (sent.signature() != null) {
      ctx.response().putHeader(Signatures.HEADER, sent.signature());
    }
    ctx.response().end(sent.body());
  }

  private SentAnswer withWrongSignature(Faults.Scope scope, SentAnswer sent, Faults.SignatureFault fault) {
    byte[] bytes = sent.body().getBytes();
    return switch (fault) {
      case FORGED -> new SentAnswer(sent.status(), sent.contentType(), sent.body(),
          Signatures.builder().secret("forged-" + Long.toHexString(random.nextLong()) + "-secret").build().sign(bytes));
      case STALE -> new SentAnswer(sent.status(), sent.contentType(), sent.body(),
          merchantOrIssuer(scope).sign(bytes,
              options.clock().instant().getEpochSecond() - options.replayWindowSeconds() - 60));
      case MISSING -> new SentAnswer(sent.status(), sent.contentType(), sent.body(), null);
      case REPLAYED -> {
        SentAnswer previous = lastAnswer.get(scope);
        lastAnswer.put(scope, sent);
        yield previous != null ? previous : sent;
      }
    };
  }

  private Signatures merchantOrIssuer(Faults.Scope scope) {
    return scope == Faults.Scope.ISSUER ? issuerSignatures : merchantSignatures;
  }

  private static Buffer malform(JsonObject body, Faults.Malformation how) {
    return switch (how) {
      case NOT_JSON -> {
        Buffer whole = body.toBuffer();
        yield whole.getBuffer(0, Math.max(1, whole.length() / 2));
      }
      case NOT_OBJECT -> new JsonArray().add(body).toBuffer();
      case MISSING_FIELDS -> new JsonObject().put("request_id", body.getValue("request_id")).toBuffer();
      case WRONG_TYPES -> {
        JsonObject wrong = new JsonObject().put("request_id", body.getValue("request_id"));
        body.forEach(field -> {
          if (!field.getKey().equals("request_id")) {
            wrong.put(field.getKey(), wrongType(field.getValue()));
          }
        });
        yield wrong.toBuffer();
      }
      case WRONG_REQUEST_ID -> body.copy().put("request_id", "another-request").toBuffer();
      case OVERSIZED -> body.copy().put("padding", "x".repeat(MerchantProtocol.MAX_BODY_BYTES)).toBuffer();
    };
  }

  private static Object wrongType(Object value) {
    if (value instanceof String) {
      return 42;
    }
    if (value instanceof Number) {
      return "42";
    }
    if (value instanceof JsonArray) {
      return new JsonObject().put("unit", "x");
    }
    return new JsonArray().add("x");
  }

  private boolean roll(double rate) {
    return rate > 0 && random.nextDouble() < rate;
  }

  static JsonObject problem(int status, String code, String detail, String requestId) {
    return new JsonObject()
        .put("type", MerchantProtocol.PROBLEM_TYPE_PREFIX + code)
        .put("title", code.replace('_', ' '))
        .put("status", status)
        .put("code", code)
        .put("detail", detail)
        .put("request_id", requestId);
  }

  private static JsonObject parse(Buffer body) {
    try {
      return Json.decodeValue(body) instanceof JsonObject object ? object : null;
    } catch (DecodeException e) {
      return null;
    }
  }

  // ---- the protocol's operations ---------------------------------------------------------------

  private JsonObject reserve(JsonObject request) {
    String reservationId = id(request, "reservation_id");
    String sku = id(request, "sku_id");
    id(request, "merchant_id");
    int quantity = integer(request, "quantity", 1, MerchantProtocol.MAX_UNITS_PER_DELIVERY);
    Instant until = instant(request, "until");
    Instant expiresAt = stock.reserve(reservationId, sku, quantity, until);
    return new JsonObject()
        .put("reservation_id", reservationId)
        .put("sku_id", sku)
        .put("quantity", quantity)
        .put("expires_at", expiresAt.toString());
  }

  private JsonObject cancel(JsonObject request) {
    String reservationId = id(request, "reservation_id");
    id(request, "merchant_id");
    stock.cancel(reservationId);
    return new JsonObject().put("reservation_id", reservationId).put("status", "cancelled");
  }

  private JsonObject deliver(JsonObject request) {
    String orderId = id(request, "order_id");
    String sku = id(request, "sku_id");
    id(request, "merchant_id");
    Object reservation = request.getValue("reservation_id");
    String reservationId = reservation == null ? null : id(request, "reservation_id");
    if (!(request.getValue("units") instanceof JsonArray units)
        || units.isEmpty() || units.size() > MerchantProtocol.MAX_UNITS_PER_DELIVERY) {
      throw ProtocolProblem.badRequest("units must be an array of 1 to " + MerchantProtocol.MAX_UNITS_PER_DELIVERY + " units");
    }
    List<Integer> asked = new ArrayList<>();
    for (Object unit : units) {
      int value = unitValue(unit, "units[]");
      if (asked.contains(value)) {
        throw ProtocolProblem.badRequest("units must be distinct");
      }
      asked.add(value);
    }
    SortedMap<Integer, String> keys = stock.deliver(orderId, sku, reservationId, asked, faults.appliesTo(Faults.Scope.MERCHANT) ? faults : Faults.none());
    JsonArray keyArray = new JsonArray();
    keys.forEach((unit, key) -> keyArray.add(new JsonObject().put("unit", unit).put("key", key)));
    JsonArray pending = new JsonArray();
    asked.stream().sorted().filter(unit -> !keys.containsKey(unit)).forEach(pending::add);
    return new JsonObject().put("order_id", orderId).put("keys", keyArray).put("pending", pending);
  }

  private JsonObject replace(JsonObject request) {
    String orderId = id(request, "order_id");
    String sku = id(request, "sku_id");
    id(request, "merchant_id");
    int unit = unitValue(request.getValue("unit"), "unit");
    int attempt = integer(request, "attempt", 1, MerchantProtocol.MAX_REPLACE_ATTEMPTS);
    if (!(request.getValue("reason") instanceof String)) {
      throw ProtocolProblem.badRequest("reason must be a string");
    }
    String key = stock.replace(orderId, sku, unit, attempt, faults.appliesTo(Faults.Scope.MERCHANT) ? faults : Faults.none());
    return new JsonObject().put("order_id", orderId).put("unit", unit).put("attempt", attempt).put("key", key);
  }

  private JsonObject check(JsonObject request) {
    id(request, "sku_id");
    if (!(request.getValue("key") instanceof String key) || key.isEmpty() || key.length() > CardKey.MAX_LENGTH) {
      throw ProtocolProblem.badRequest("key must be a string of 1 to " + CardKey.MAX_LENGTH + " characters");
    }
    KeyVerdict verdict = stock.check(key);
    return new JsonObject().put("verdict", verdict.code());
  }

  private static String id(JsonObject request, String field) {
    String value = stringOrNull(request, field);
    if (!Identifiers.isValid(value)) {
      throw ProtocolProblem.badRequest(field + " must be 1 to " + Identifiers.MAX_LENGTH + " characters of [A-Za-z0-9._:-]");
    }
    return value;
  }

  private static String stringOrNull(JsonObject request, String field) {
    return request.getValue(field) instanceof String text ? text : null;
  }

  private static int integer(JsonObject request, String field, int min, int max) {
    Object value = request.getValue(field);
    if ((value instanceof Integer || value instanceof Long)
        && ((Number) value).longValue() >= min && ((Number) value).longValue() <= max) {
      return ((Number) value).intValue();
    }
    throw ProtocolProblem.badRequest(field + " must be an integer from " + min + " to " + max);
  }

  private static int unitValue(Object value, String field) {
    if ((value instanceof Integer || value instanceof Long)
        && ((Number) value).longValue() >= 0 && ((Number) value).longValue() <= 9_999) {
      return ((Number) value).intValue();
    }
    throw ProtocolProblem.badRequest(field + " must be an integer from 0 to 9999");
  }

  private static Instant instant(JsonObject request, String field) {
    try {
      return Instant.parse(stringOrNull(request, field));
    } catch (DateTimeParseException | NullPointerException e) {
      throw ProtocolProblem.badRequest(field + " must be an RFC 3339 UTC time");
    }
  }

  // ---- admin ------------------------------------------------------------------------------------

  private void setFaults(RoutingContext ctx) {
    try {
      JsonObject json = ctx.body().asJsonObject();
      faults = Faults.fromJson(json == null ? new JsonObject() : json);
      LOG.info("faults now {}", faults.toJson().encode());
      admin(ctx, 200, faults.toJson());
    } catch (DecodeException | IllegalArgumentException | ClassCastException e) {
      admin(ctx, 400, problem(400, "bad_request", e.getMessage(), null));
    }
  }

  private void redeem(RoutingContext ctx) {
    try {
      JsonObject json = ctx.body().asJsonObject();
      String key = json == null ? null : stringOrNull(json, "key");
      if (key == null) {
        admin(ctx, 400, problem(400, "bad_request", "key must be a string", null));
        return;
      }
      admin(ctx, 200, new JsonObject().put("redeemed", stock.redeem(key)));
    } catch (DecodeException | ClassCastException e) {
      admin(ctx, 400, problem(400, "bad_request", "body must be a JSON object", null));
    }
  }

  private static void admin(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, status < 300 ? MerchantProtocol.CONTENT_TYPE_JSON : MerchantProtocol.CONTENT_TYPE_PROBLEM)
        .end(body.toBuffer());
  }
}
