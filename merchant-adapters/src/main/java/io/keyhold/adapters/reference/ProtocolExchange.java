package io.keyhold.adapters.reference;

import io.keyhold.adapters.http.MerchantProtocol;
import io.keyhold.adapters.signature.SignatureCheck;
import io.keyhold.adapters.signature.Signatures;
import io.keyhold.adapters.spi.Identifiers;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One signed exchange of the merchant protocol or the issuer check: verifies the request's signature,
 * reads its request id, runs the operation and signs the answer or the problem (PROTOCOL.md), letting
 * {@link FaultInjection} spoil it where the faults in force say so.
 */
final class ProtocolExchange {

  private static final Logger LOG = LoggerFactory.getLogger(ProtocolExchange.class);

  private final Vertx vertx;
  private final Signatures merchantSignatures;
  private final Signatures issuerSignatures;
  private final Supplier<Faults> faults;
  private final FaultInjection injection;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong rejectedSignatures = new AtomicLong();

  ProtocolExchange(Vertx vertx, Signatures merchantSignatures, Signatures issuerSignatures,
      Supplier<Faults> faults, FaultInjection injection) {
    this.vertx = vertx;
    this.merchantSignatures = merchantSignatures;
    this.issuerSignatures = issuerSignatures;
    this.faults = faults;
    this.injection = injection;
  }

  /** A route handler running {@code operation} for a request signed for {@code scope}. */
  Handler<RoutingContext> handler(Faults.Scope scope, Function<JsonObject, JsonObject> operation) {
    return ctx -> {
      requests.incrementAndGet();
      Faults current = inForce(scope);
      if (injection.held(ctx, current)) {
        return;
      }
      if (current.latencyMs() > 0) {
        vertx.setTimer(current.latencyMs(), id -> answer(ctx, scope, current, operation));
      } else {
        answer(ctx, scope, current, operation);
      }
    };
  }

  /** Answers a protocol request the router refused before any handler ran (body too large, unreadable). */
  void failure(RoutingContext ctx) {
    int status = ctx.statusCode() == 413 ? 413 : 400;
    String code = status == 413 ? "body_too_large" : "bad_request";
    send(ctx, Faults.Scope.MERCHANT, inForce(Faults.Scope.MERCHANT), status,
        ProtocolProblem.document(status, code, "request rejected", null));
  }

  long requests() {
    return requests.get();
  }

  long rejectedSignatures() {
    return rejectedSignatures.get();
  }

  private Faults inForce(Faults.Scope scope) {
    Faults now = faults.get();
    return now.appliesTo(scope) ? now : Faults.none();
  }

  private void answer(RoutingContext ctx, Faults.Scope scope, Faults current, Function<JsonObject, JsonObject> operation) {
    Buffer body = ctx.body().buffer() != null ? ctx.body().buffer() : Buffer.buffer();
    SignatureCheck check = signatures(scope).verify(ctx.request().getHeader(Signatures.HEADER), body);
    JsonObject request = parse(body);
    String requestId = request != null && Identifiers.isValid(ProtocolOperations.stringOrNull(request, "request_id"))
        ? request.getString("request_id")
        : null;
    if (!check.isValid()) {
      rejectedSignatures.incrementAndGet();
      send(ctx, scope, current, 401,
          ProtocolProblem.document(401, "bad_signature", "request signature " + check.code(), requestId));
      return;
    }
    if (request == null || requestId == null) {
      send(ctx, scope, current, 400, ProtocolProblem.document(400, "bad_request",
          request == null ? "body is not a JSON object" : "request_id is missing or malformed", null));
      return;
    }
    if (injection.injectsError(current)) {
      send(ctx, scope, current, 500, ProtocolProblem.document(500, "server_error", "injected error", requestId));
      return;
    }
    JsonObject answer;
    try {
      answer = new JsonObject().put("request_id", requestId).mergeIn(operation.apply(request));
    } catch (ProtocolProblem refusal) {
      send(ctx, scope, current, refusal.status(),
          ProtocolProblem.document(refusal.status(), refusal.code(), refusal.getMessage(), requestId));
      return;
    } catch (RuntimeException e) {
      LOG.error("reference merchant failed on {}", ctx.normalizedPath(), e);
      send(ctx, scope, current, 500, ProtocolProblem.document(500, "server_error", "internal error", requestId));
      return;
    }
    send(ctx, scope, current, 200, answer);
  }

  private void send(RoutingContext ctx, Faults.Scope scope, Faults current, int status, JsonObject body) {
    if (ctx.response().ended()) {
      return;
    }
    String contentType = status < 300 ? MerchantProtocol.CONTENT_TYPE_JSON : MerchantProtocol.CONTENT_TYPE_PROBLEM;
    Buffer raw = injection.body(body, current);
    Signatures signatures = signatures(scope);
    SignedAnswer sent = injection.signed(scope,
        new SignedAnswer(status, contentType, raw, signatures.sign(raw)), current, signatures);
    ctx.response().setStatusCode(sent.status()).putHeader(HttpHeaders.CONTENT_TYPE, sent.contentType());
    if (sent.signature() != null) {
      ctx.response().putHeader(Signatures.HEADER, sent.signature());
    }
    ctx.response().end(sent.body());
  }

  private Signatures signatures(Faults.Scope scope) {
    return scope == Faults.Scope.ISSUER ? issuerSignatures : merchantSignatures;
  }

  private static JsonObject parse(Buffer body) {
    try {
      return Json.decodeValue(body) instanceof JsonObject object ? object : null;
    } catch (DecodeException e) {
      return null;
    }
  }
}
