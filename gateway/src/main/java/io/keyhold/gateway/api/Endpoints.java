package io.keyhold.gateway.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.openapi.contract.Operation;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Mounts API routes, each tied to an OpenAPI operation: the method and path come from the document,
 * so a route cannot exist without being documented. Every route gets, in order:
 *
 * <ol>
 *   <li>a clock: the time to the answer's end, by operation and status class ({@link #ANSWER_TIMER});
 *   <li>a place among the API requests served at once ({@link InFlightLimit}): 503 {@code overloaded}
 *       past it, before anything is read (not for long-lived event streams, which have their own
 *       limits, nor for payment notices, see {@link #notice}); new demand (a checkout) takes its place
 *       only once read and checked, just before its handler: it waits behind the requests that carry on
 *       work under way and is given a place in line rather than kept waiting, unless it can be refused at
 *       once (sold out);
 *   <li>(POST) the body read with a size limit: 413 {@code body_too_large} past it;
 *   <li>bearer authentication for the access asked ({@link Caller.Kind}): 401 {@code unauthenticated};
 *   <li>(POST) {@code Content-Type: application/json} (415) and a JSON object body (400
 *       {@code malformed_json});
 *   <li>validation against the OpenAPI operation: 400 {@code validation_failed} with field errors;
 *   <li>(POST) the {@link Idempotency} key, if sent;
 *   <li>the handler, whose {@link Reply} is stored for replays and sent; a failure becomes a
 *       problem through {@link Problems}.
 * </ol>
 *
 * <pre>{@code
 * endpoints.post("createSku", Caller.Kind.MERCHANT, request -> catalog.create(...).map(sku -> Reply.created(...)));
 * }</pre>
 */
public final class Endpoints {
  /** Key of the parsed JSON body in the routing context. */
  public static final String BODY = "keyhold.body";
  /**
   * Time each API answer took, from the request's first handler to the answer's end, by operation and status class:
   * the gateway's own view, so neither a queue on the caller's side nor a request waiting for a busy event loop is
   * in it. Its p50 and p99 cover the last two minutes at most (80 s at least).
   */
  public static final String ANSWER_TIMER = "keyhold.api.answer";
  public static final Duration ANSWER_PERCENTILES_WINDOW = Duration.ofSeconds(120);
  private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  /** The media type a JSON body is sent as, parameters (a charset) allowed; compiled once, not per request. */
  private static final Pattern JSON_MEDIA_TYPE = Pattern.compile("application/json\\s*(;.*)?");

  private final Router router;
  private final Authenticator authenticator;
  private final OpenApiValidation validation;
  private final Idempotency idempotency;
  private final BodyHandler bodyHandler;
  private final InFlightLimit requests;
  private final MeterRegistry meters;

  public Endpoints(Router router, Authenticator authenticator, OpenApiValidation validation, Idempotency idempotency,
      long bodyLimitBytes, InFlightLimit requests, MeterRegistry meters) {
    this.router = router;
    this.meters = Objects.requireNonNull(meters, "meters");
    this.requests = Objects.requireNonNull(requests, "requests");
    this.authenticator = authenticator;
    this.validation = validation;
    this.idempotency = idempotency;
    this.bodyHandler = BodyHandler.create(false).setBodyLimit(bodyLimitBytes);
  }

  /** How a route takes its place among the API requests served at once ({@link InFlightLimit}). */
  private enum Admission {
    /** Takes none. */
    NONE,
    /** Carries on work under way: waits first come first served. */
    CARRYING_ON,
    /** Starts new work: waits behind the rest, and is given a place in line rather than kept waiting. */
    NEW_DEMAND
  }

  /** Mounts the POST operation {@code operationId} for callers of kind {@code access}. */
  public Route post(String operationId, Caller.Kind access, ApiHandler handler) {
    return mount(operationId, HttpMethod.POST, access, Admission.CARRYING_ON, null, false, handler);
  }

  /**
   * Mounts a POST operation whose handler stores its answer with its work, always (in the work's transaction,
   * {@link ApiRequest#recordReply}, or its statement, {@link ApiRequest#replyGate}), and that can be refused before
   * any work ({@code early}).
   *
   * <p>Its Idempotency-Key is not claimed before the work but stored with the answer ({@link Idempotency#unclaimed}).
   * A duplicate running at once does its work too, meets the first one's record when storing its own, writes
   * nothing, and is answered the claiming way (the first answer replayed).
   *
   * <p>An early refusal is answered without storing the key — it changed nothing, and the client's retry asks again.
   * A key that already has an answer (or a run under way) still gets it: one read.
   *
   * <p>It is new demand: past the cap it waits behind the requests that carry on work, and is soon given its place
   * in line ({@link InFlightLimit#newDemandHandler}).
   */
  public Route postNewDemandAnsweredInItsTransaction(String operationId, Caller.Kind access, EarlyRefusal early,
      ApiHandler handler) {
    return mount(operationId, HttpMethod.POST, access, Admission.NEW_DEMAND, Objects.requireNonNull(early, "early"),
        true, handler);
  }

  /**
   * Mounts a POST operation that makes one change to one order (a buyer's act): its Idempotency-Key is claimed by the
   * statement that stores the change ({@link ApiRequest#changeGate}), not by one of its own before the work, and its
   * answer stored after it. A request whose handler stored no change (refused, or nothing to do) stores its answer
   * unclaimed; one that meets another request's record, at its change or its answer, is answered the claiming way.
   */
  public Route postClaimedByItsChange(String operationId, Caller.Kind access, ApiHandler handler) {
    return mount(operationId, HttpMethod.POST, access, Admission.CARRYING_ON, null, true, handler);
  }

  /**
   * Mounts the POST operation that takes a payment provider's notices. It takes no place among
   * {@link #requests}: a notice moves money, one per payment, and a provider refused under load backs
   * off for minutes or hours while the buyer waits for a paid order.
   */
  public Route notice(String operationId, Caller.Kind access, ApiHandler handler) {
    return mount(operationId, HttpMethod.POST, access, Admission.NONE, null, false, handler);
  }

  /**
   * Mounts the GET operation that takes a payment provider's notices sent as a query (易支付 sites call their
   * {@code notify_url} so); not limited, for the reason given at {@link #notice}.
   */
  public Route noticeByGet(String operationId, Caller.Kind access, ApiHandler handler) {
    return mount(operationId, HttpMethod.GET, access, Admission.NONE, null, false, handler);
  }

  /** Mounts the GET operation {@code operationId} for callers of kind {@code access}. */
  public Route get(String operationId, Caller.Kind access, ApiHandler handler) {
    return mount(operationId, HttpMethod.GET, access, Admission.CARRYING_ON, null, false, handler);
  }

  /**
   * Mounts the GET operation {@code operationId} that answers with a long-lived stream. It takes no
   * place among {@link #requests}, which it would hold for its whole life; the stream's handler
   * limits streams itself.
   */
  public Route stream(String operationId, Caller.Kind access, ApiHandler handler) {
    return mount(operationId, HttpMethod.GET, access, Admission.NONE, null, false, handler);
  }

  private Route mount(String operationId, HttpMethod method, Caller.Kind access, Admission admission,
      EarlyRefusal early, boolean claimedWithItsWork, ApiHandler handler) {
    Objects.requireNonNull(access, "access");
    Operation operation = validation.contract().operation(operationId);
    if (operation == null || !operation.getHttpMethod().equals(method)) {
      throw new IllegalArgumentException("openapi.yaml has no " + method + " operation '" + operationId + "'");
    }
    String path = operation.getOpenAPIPath().replaceAll("\\{([^}/]+)}", ":$1");
    router.route(method, path).handler(timed(operationId));
    if (admission == Admission.CARRYING_ON) {
      // A route of its own before the operation's: Vert.x Web wants the body handler first on a route.
      router.route(method, path).handler(requests.handler());
    }
    Route route = router.route(method, path);
    if (method == HttpMethod.POST) {
      route.handler(bodyHandler);
    }
    route.handler(ctx -> authenticator.authenticate(ctx, access)
        .onSuccess(caller -> {
          ctx.put(Authenticator.CALLER, caller);
          ctx.next();
        })
        .onFailure(ctx::fail));
    if (method == HttpMethod.POST) {
      route.handler(Endpoints::parseJsonObject);
    }
    route.handler(validation.handler(operationId));
    if (admission == Admission.NEW_DEMAND) {
      // Once read and checked: new demand that can be refused at once (sold out) never waits in line for it.
      route.handler(requests.newDemandHandler(ctx -> early != null
          && early.refusal(ctx.get(Authenticator.CALLER), ctx.get(BODY)) != null));
    }
    route.handler(ctx -> run(ctx, method, early, claimedWithItsWork, handler));
    return route;
  }

  /** Starts the clock of {@link #ANSWER_TIMER} for the operation's requests; stopped when the answer ends. */
  private Handler<RoutingContext> timed(String operationId) {
    Timer[] byStatusClass = new Timer[STATUS_CLASSES.length];
    for (int i = 0; i < STATUS_CLASSES.length; i++) {
      byStatusClass[i] = Timer.builder(ANSWER_TIMER).tag("operation", operationId).tag("status", STATUS_CLASSES[i])
          .publishPercentiles(0.5, 0.99).distributionStatisticExpiry(ANSWER_PERCENTILES_WINDOW).register(meters);
    }
    return ctx -> {
      long startNs = System.nanoTime();
      ctx.addEndHandler(ended -> {
        int statusClass = ctx.response().getStatusCode() / 100 - 1;
        if (statusClass >= 0 && statusClass < byStatusClass.length) {
          byStatusClass[statusClass].record(System.nanoTime() - startNs, TimeUnit.NANOSECONDS);
        }
      });
      ctx.next();
    };
  }

  private static void parseJsonObject(RoutingContext ctx) {
    String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (contentType == null || !JSON_MEDIA_TYPE.matcher(contentType.toLowerCase(Locale.ROOT)).matches()) {
      ctx.fail(new ProblemException(ProblemCode.UNSUPPORTED_MEDIA_TYPE,
          "Send the body as application/json (Content-Type header)"));
      return;
    }
    Buffer body = ctx.body().buffer();
    Object value;
    try {
      value = body == null || body.length() == 0 ? null : Json.decodeValue(body);
    } catch (RuntimeException e) {
      ctx.fail(new ProblemException(ProblemCode.MALFORMED_JSON, "The body is not well-formed JSON"));
      return;
    }
    if (value == null) {
      ctx.fail(new ProblemException(ProblemCode.MALFORMED_JSON, "The body is empty; send a JSON object"));
      return;
    }
    if (!(value instanceof JsonObject object)) {
      ctx.fail(new ProblemException(Problem.invalid(List.of(
          new FieldError("/", FieldError.Code.WRONG_TYPE, "the body must be a JSON object")))));
      return;
    }
    ctx.put(BODY, object);
    ctx.next();
  }

  private void run(RoutingContext ctx, HttpMethod method, EarlyRefusal early, boolean claimedWithItsWork,
      ApiHandler handler) {
    Caller caller = ctx.get(Authenticator.CALLER);
    JsonObject body = ctx.get(BODY);
    String key = method == HttpMethod.POST && caller.kind() != Caller.Kind.PUBLIC
        ? ctx.request().getHeader(Idempotency.HEADER) : null;
    Throwable refusal = early == null ? null : early.refusal(caller, body);
    if (refusal != null && key == null) {
      fail(ctx, refusal);
      return;
    }
    if (refusal != null) {
      idempotency.known(caller, key).onFailure(failure -> fail(ctx, failure)).onSuccess(known -> {
        if (known) {
          runKeyed(ctx, method, caller, body, key, handler);
        } else {
          fail(ctx, refusal);
        }
      });
      return;
    }
    if (key == null) {
      invoke(handler, new ApiRequest(ctx, caller, body, idempotency, null))
          .onSuccess(reply -> send(ctx, reply))
          .onFailure(failure -> fail(ctx, failure));
      return;
    }
    if (claimedWithItsWork) {
      runUnclaimed(ctx, method, caller, body, key, handler);
      return;
    }
    runKeyed(ctx, method, caller, body, key, handler);
  }

  /**
   * Runs a request whose handler stores its answer in its own transaction, or claims its key with its change,
   * without claiming its key first; a key found taken when the answer or the change is stored (the work rolled back,
   * or not written) is answered the claiming way. A failure releases what the change's gate claimed.
   */
  private void runUnclaimed(RoutingContext ctx, HttpMethod method, Caller caller, JsonObject body, String key,
      ApiHandler handler) {
    byte[] hash = Idempotency.requestHash(method, ctx.request().path(), ctx.body().buffer());
    idempotency.unclaimed(caller, key, hash)
        .onFailure(failure -> fail(ctx, failure))
        .onSuccess(claim -> answered(ctx, handler, new ApiRequest(ctx, caller, body, idempotency, claim), claim)
            .onSuccess(reply -> send(ctx, reply))
            .onFailure(failure -> {
              if (failure instanceof Idempotency.KeyTaken) {
                runKeyed(ctx, method, caller, body, key, handler);
              } else {
                idempotency.release(claim).onComplete(released -> fail(ctx, failure));
              }
            }));
  }

  private void runKeyed(RoutingContext ctx, HttpMethod method, Caller caller, JsonObject body, String key,
      ApiHandler handler) {
    byte[] hash = Idempotency.requestHash(method, ctx.request().path(), ctx.body().buffer());
    idempotency.begin(caller, key, hash)
        .onFailure(failure -> fail(ctx, failure))
        .onSuccess(outcome -> {
          if (outcome.replay() != null) {
            send(ctx, outcome.replay());
            return;
          }
          Idempotency.Claim claim = outcome.claim();
          answered(ctx, handler, new ApiRequest(ctx, caller, body, idempotency, claim), claim)
              .onSuccess(reply -> send(ctx, reply))
              .onFailure(failure -> idempotency.release(claim).onComplete(released -> fail(ctx, failure)));
        });
  }

  /**
   * The handler's answer to a keyed request, stored for its key (by the handler in its transaction, else here): a
   * refusal that is the request's answer too ({@link #isOutcome}); fails for anything else, storing nothing.
   */
  private Future<Reply> answered(RoutingContext ctx, ApiHandler handler, ApiRequest request, Idempotency.Claim claim) {
    return invoke(handler, request)
        .recover(failure -> isOutcome(failure)
            ? Future.succeededFuture(Reply.problem(Problems.known(failure), ctx.request().path()))
            : Future.failedFuture(failure))
        .compose(reply -> claim.completed() ? Future.succeededFuture(reply)
            : idempotency.complete(idempotency.pool(), claim, reply).map(reply));
  }

  /**
   * A refusal that is the request's answer (404, 409, 422...) is stored and replayed like a success.
   * Bad input (400) and server failures (5xx) release the key instead: nothing is stored for them,
   * and a corrected or retried request may use the same key.
   */
  private static boolean isOutcome(Throwable failure) {
    Problem problem = Problems.known(failure);
    return problem != null && problem.status() > 400 && problem.status() < 500;
  }

  private static Future<Reply> invoke(ApiHandler handler, ApiRequest request) {
    try {
      Future<Reply> reply = handler.handle(request);
      return reply == null ? Future.failedFuture(new IllegalStateException("a handler returned no future")) : reply;
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static void fail(RoutingContext ctx, Throwable failure) {
    if (!ctx.response().ended()) {
      ctx.fail(failure);
    }
  }

  private static void send(RoutingContext ctx, Reply reply) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(reply.status()).putHeader(HttpHeaders.CONTENT_TYPE, reply.contentType());
    reply.headers().forEach(response::putHeader);
    response.end(reply.body());
  }

  /**
   * A refusal a request gets before any work, from what this instance already knows (a SKU it saw sell out a
   * moment ago); null when the request must run. Never throws; reads nothing it must wait for.
   */
  @FunctionalInterface
  public interface EarlyRefusal {
    Throwable refusal(Caller caller, JsonObject body);
  }

  /** Handles one API operation; returns the reply, or fails (a {@link ProblemException} for a 4xx). */
  @FunctionalInterface
  public interface ApiHandler {
    Future<Reply> handle(ApiRequest request);
  }
}
