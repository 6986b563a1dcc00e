package io.keyhold.gateway.api;

import io.keyhold.gateway.engine.Refusal;
import io.keyhold.gateway.store.DatabaseOutage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.keyhold.gateway.store.StockVault;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place every error answer goes through: maps a failure (a {@link ProblemException}, an
 * OpenAPI validation failure, a body over the limit, an unknown route, a wrong method, an overloaded
 * pool, a timeout, anything else) to a {@link Problem} and writes it as
 * {@code application/problem+json}. A 405 names the methods the path serves in {@code Allow}; requests
 * the HTTP server cannot decode get their problem from {@link #invalidRequestHandler}.
 *
 * <p>A 5xx is logged with a reference id that the answer carries too; 4xx answers are not logged,
 * since their details are the caller's own input (which may hold card keys). A failure that means the
 * database cannot be reached or is restarting ({@link DatabaseOutage}) is no bug: it is answered 503
 * {@code database_unavailable} with the outage's {@code Retry-After}, and logged once per outage there.
 */
public final class Problems {
  /** Seconds a client waits before retrying an overloaded or in-progress request. */
  public static final int RETRY_AFTER_SECONDS = 1;
  /** Routing-context key of a {@code Retry-After} (seconds) worked out for this request, instead of the default. */
  public static final String RETRY_AFTER_SECONDS_KEY = "keyhold.retryAfterSeconds";

  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
  private static final int[] ROUTER_STATUSES = {400, 404, 405, 413, 415, 500, 503};

  private Problems() {}

  /** Counter of problems answered by the failure handler, tagged {@code code} (a {@link ProblemCode}) and {@code status}. */
  public static final String ANSWERED_METRIC = "keyhold.api.problems";

  /**
   * Installs the failure handler and the router's error handlers on {@code router}; {@code outage} judges and
   * records the failures that are database outages; every problem they answer is counted in {@code meters}
   * ({@value #ANSWERED_METRIC}: the 503s by cause, the refusals of input).
   */
  public static void install(Router router, DatabaseOutage outage, MeterRegistry meters) {
    Handler<RoutingContext> failures = ctx -> {
      Problem problem = toProblem(ctx.failure(), ctx.statusCode(), ctx, outage);
      Counter.builder(ANSWERED_METRIC).description("Problems answered, by code")
          .tags("code", problem.code().code(), "status", Integer.toString(problem.status()))
          .register(meters).increment();
      send(ctx, problem);
    };
    router.route().failureHandler(failures);
    for (int status : ROUTER_STATUSES) {
      router.errorHandler(status, status == 405
          ? ctx -> {
            ctx.response().putHeader(HttpHeaders.ALLOW, allowedMethods(router, ctx.request().path()));
            failures.handle(ctx);
          }
          : failures);
    }
  }

  /**
   * The HTTP server's handler for requests it could not decode (a request line or a header block over
   * its limit, a line that is not HTTP): the same problem+json as every other error, then the connection
   * closes, since the rest of what it carries cannot be read.
   */
  public static Handler<HttpServerRequest> invalidRequestHandler(int requestLineBytesMax, int headerBytesMax) {
    return request -> {
      Throwable cause = request.decoderResult().cause();
      Problem problem;
      if (cause instanceof TooLongHttpLineException) {
        problem = Problem.of(ProblemCode.URI_TOO_LONG, "The request line is longer than " + requestLineBytesMax + " bytes");
      } else if (cause instanceof TooLongHttpHeaderException) {
        problem = Problem.of(ProblemCode.HEADERS_TOO_LARGE, "The headers are larger than " + headerBytesMax + " bytes");
      } else {
        problem = Problem.of(ProblemCode.MALFORMED_REQUEST, "The request line or a header is not HTTP/1.1");
      }
      HttpServerResponse response = request.response();
      response.setStatusCode(problem.status())
          .putHeader(HttpHeaders.CONTENT_TYPE, Problem.CONTENT_TYPE)
          .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
          .end(problem.toJson(null).encode())
          .onComplete(sent -> request.connection().close());
    };
  }

  /** The methods some route serves at {@code path}, for the {@code Allow} header of a 405. */
  static String allowedMethods(Router router, String path) {
    String normalized = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    Set<String> methods = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      Set<HttpMethod> served = route.methods();
      if (route.getPath() != null && served != null && !served.isEmpty() && matches(route.getPath(), normalized)) {
        served.forEach(method -> methods.add(method.name()));
      }
    }
    return String.join(", ", methods);
  }

  /** Whether {@code path} matches a route path whose {@code :name} segments stand for one segment each. */
  private static boolean matches(String template, String path) {
    String[] expected = template.split("/", -1);
    String[] actual = path.split("/", -1);
    if (expected.length != actual.length) {
      return false;
    }
    for (int i = 0; i < expected.length; i++) {
      boolean parameter = expected[i].startsWith(":") && !actual[i].isEmpty();
      if (!parameter && !expected[i].equals(actual[i])) {
        return false;
      }
    }
    return true;
  }

  /** Writes {@code problem} as the answer, unless one was already sent. */
  public static void send(RoutingContext ctx, Problem problem) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      // The handler already answered (or the timeout did); nothing sensible can follow.
      if (!response.ended()) {
        response.reset();
      }
      return;
    }
    response.setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.CONTENT_TYPE);
    switch (problem.code()) {
      case UNAUTHENTICATED -> response.putHeader("WWW-Authenticate", "Bearer");
      case OVERLOADED, IDEMPOTENCY_REQUEST_IN_PROGRESS, TIMEOUT, TOO_MANY_STREAMS, CLOCK_BEHIND, DATABASE_UNAVAILABLE,
          NOT_READY, SIGN_IN_THROTTLED ->
          response.putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds(ctx)));
      default -> { }
    }
    response.end(problem.toJson(ctx.request().path()).encode());
  }

  private static int retryAfterSeconds(RoutingContext ctx) {
    Integer asked = ctx.get(RETRY_AFTER_SECONDS_KEY);
    return asked != null ? asked : RETRY_AFTER_SECONDS;
  }


  /**
   * The 503 {@code database_unavailable} answering {@code failure} when it is a database outage (recorded as
   * such, and its {@code Retry-After} set on {@code ctx}); null for any other failure.
   */
  public static Problem databaseUnavailable(Throwable failure, RoutingContext ctx, DatabaseOutage outage) {
    if (failure == null || !outage.answered(failure)) {
      return null;
    }
    ctx.put(RETRY_AFTER_SECONDS_KEY, outage.retryAfterSeconds());
    return Problem.of(ProblemCode.DATABASE_UNAVAILABLE);
  }

  /**
   * The problem a request's expected failure answers: a {@link ProblemException} of the API, a
   * {@link Refusal} of the engine, a {@link StockVault.DuplicateKeysException} of the store; null for
   * anything else (a bug, an outage). The one place the engine's and the store's refusals become HTTP.
   */
  public static Problem known(Throwable failure) {
    if (failure instanceof ProblemException problem) {
      return problem.problem();
    }
    if (failure instanceof Refusal refusal) {
      return switch (refusal.code()) {
        case NOT_FOUND -> Problem.of(ProblemCode.NOT_FOUND, refusal.detail());
        case BAD_SIGNATURE -> Problem.of(ProblemCode.BAD_SIGNATURE, refusal.detail());
        case BUSY -> Problem.of(ProblemCode.OVERLOADED, refusal.detail());
        case MERCHANT_UNAVAILABLE -> Problem.of(ProblemCode.MERCHANT_UNAVAILABLE, refusal.detail());
        case MERCHANT_BAD_SIGNATURE -> Problem.of(ProblemCode.MERCHANT_BAD_SIGNATURE, refusal.detail());
        case OUT_OF_STOCK -> outOfStock(refusal);
        case MERCHANT_DEPOSIT_LOW -> Problem.of(ProblemCode.MERCHANT_DEPOSIT_LOW, refusal.detail());
        case DEPOSIT_BELOW_FLOOR -> Problem.of(ProblemCode.DEPOSIT_BELOW_FLOOR, refusal.detail());
        case DEPOSIT_CURRENCY_MISMATCH -> Problem.of(ProblemCode.DEPOSIT_CURRENCY_MISMATCH, refusal.detail());
        case BACKUP_SOURCE_UNFIT -> Problem.of(ProblemCode.BACKUP_SOURCE_UNFIT, refusal.detail());
        case MALFORMED_INPUT -> Problem.invalid(List.of(
            new FieldError(refusal.field(), FieldError.Code.INVALID_FORMAT, refusal.detail())));
        case ORDER_REFUSED -> Problem.of(ProblemCode.forRejection(refusal.rejection()), refusal.detail());
      };
    }
    if (failure instanceof StockVault.DuplicateKeysException duplicates) {
      return Problem.of(ProblemCode.DUPLICATE_KEY, duplicates.getMessage())
          .with("positions", new JsonArray(new ArrayList<>(duplicates.positions())));
    }
    return null;
  }

  /**
   * Out of stock; for keys Keyhold holds, also how many are free ({@code available_units}: fewer than asked), how many
   * orders awaiting payment hold ({@code held_units}) and the first of their pay deadlines ({@code held_until}): a
   * shop can offer fewer, tell its buyers when keys may come back, or that the sale is over.
   */
  private static Problem outOfStock(Refusal refusal) {
    Problem problem = Problem.of(ProblemCode.OUT_OF_STOCK, refusal.detail());
    StockVault.Shortfall shortfall = refusal.shortfall();
    if (shortfall == null) {
      return problem;
    }
    problem = problem.with("available_units", shortfall.free()).with("held_units", shortfall.heldUnits());
    return shortfall.firstPayDeadline() == null ? problem
        : problem.with("held_until", shortfall.firstPayDeadline().toString());
  }

  /** The problem for a failure and/or a status code set by Vert.x Web. */
  static Problem toProblem(Throwable failure, int statusCode, RoutingContext ctx, DatabaseOutage outage) {
    Problem known = known(failure);
    if (known != null) {
      return known;
    }
    Problem unavailable = databaseUnavailable(failure, ctx, outage);
    if (unavailable != null) {
      return unavailable;
    }
    if (failure instanceof ValidatorException invalid) {
      return OpenApiValidation.toProblem(invalid);
    }
    if (failure instanceof DecodeException) {
      return Problem.of(ProblemCode.MALFORMED_JSON);
    }
    if (failure instanceof ConnectionPoolTooBusyException) {
      LOG.warn("database pool wait queue full: answering 503 to {} {}", ctx.request().method(), ctx.request().path());
      return Problem.of(ProblemCode.OVERLOADED);
    }
    if (failure instanceof HttpClosedException) {
      // The caller hung up before its request was read whole: no fault of ours, and nobody left to answer.
      LOG.debug("the caller of {} {} hung up before its request was read", ctx.request().method(), ctx.request().path());
      return Problem.of(ProblemCode.VALIDATION_FAILED, "The request was not received whole");
    }
    int status = failure instanceof HttpException http ? http.getStatusCode() : statusCode;
    switch (status) {
      case 400:
        return Problem.of(ProblemCode.VALIDATION_FAILED, "The request could not be read");
      case 404:
        return Problem.of(ProblemCode.NOT_FOUND, "No resource at " + ctx.request().path());
      case 405:
        return Problem.of(ProblemCode.METHOD_NOT_ALLOWED,
            ctx.request().method() + " is not allowed on " + ctx.request().path());
      case 413:
        return Problem.of(ProblemCode.BODY_TOO_LARGE);
      case 415:
        return Problem.of(ProblemCode.UNSUPPORTED_MEDIA_TYPE);
      case 503:
        if (failure == null) {
          return Problem.of(ProblemCode.TIMEOUT);
        }
        break;
      default:
        break;
    }
    String reference = UUID.randomUUID().toString();
    LOG.error("internal error {} on {} {}", reference, ctx.request().method(), ctx.request().path(), failure);
    return Problem.of(ProblemCode.INTERNAL_ERROR, "Internal error; reference " + reference)
        .with("reference", reference);
  }
}
