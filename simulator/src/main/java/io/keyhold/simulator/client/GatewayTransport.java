package io.keyhold.simulator.client;

import static io.keyhold.simulator.client.GatewayClient.ANSWER_BYTES_MAX;
import static io.keyhold.simulator.client.GatewayClient.CONNECTION_WAIT_MS_MAX;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * How every call of the four roles travels: the pool it takes (buyers' calls apart from the shops' and
 * the operator's), the headers, the retries ({@link RetryPolicy}, {@link RetryReason}), the timeouts, the
 * answer read into JSON or an {@link ApiProblem}, and the counts of answers, retries and calls in flight.
 */
final class GatewayTransport {

  private final Vertx vertx;
  private final WebClient web;
  private final WebClient buyerWeb;
  private final String baseUrl;
  private final long requestTimeoutMs;
  private final long sendBeforeMs;
  private final RetryPolicy retry;
  private final Map<String, LongAdder> answers;
  private final Map<String, LongAdder> retries;
  private final AtomicInteger inFlight;

  private GatewayTransport(Vertx vertx, WebClient web, WebClient buyerWeb, String baseUrl, long requestTimeoutMs,
      long sendBeforeMs, RetryPolicy retry, Map<String, LongAdder> answers, Map<String, LongAdder> retries,
      AtomicInteger inFlight) {
    this.vertx = vertx;
    this.web = web;
    this.buyerWeb = buyerWeb;
    this.baseUrl = baseUrl;
    this.requestTimeoutMs = requestTimeoutMs;
    this.sendBeforeMs = sendBeforeMs;
    this.retry = retry;
    this.answers = answers;
    this.retries = retries;
    this.inFlight = inFlight;
  }

  /** Calls over {@code web} (shops and operator) and {@code buyerWeb} (buyers), with no stop time. */
  static GatewayTransport over(Vertx vertx, WebClient web, WebClient buyerWeb, String baseUrl, long requestTimeoutMs,
      RetryPolicy retry) {
    return new GatewayTransport(vertx, web, buyerWeb, baseUrl, requestTimeoutMs, Long.MAX_VALUE, retry,
        new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new AtomicInteger());
  }

  /** The same pools and counters; no call is sent, nor retried, at or after {@code sendBeforeMs}. */
  GatewayTransport sendingBefore(long sendBeforeMs) {
    return new GatewayTransport(vertx, web, buyerWeb, baseUrl, requestTimeoutMs, sendBeforeMs, retry, answers,
        retries, inFlight);
  }

  String baseUrl() {
    return baseUrl;
  }

  int callsInFlight() {
    return inFlight.get();
  }

  Map<String, Long> answerCounts() {
    return sums(answers);
  }

  Map<String, Long> retryCounts() {
    return sums(retries);
  }

  private static Map<String, Long> sums(Map<String, LongAdder> adders) {
    Map<String, Long> counts = new TreeMap<>();
    adders.forEach((key, adder) -> counts.put(key, adder.sum()));
    return counts;
  }

  /**
   * Sends the call, asked again while {@link #retried} says so and the policy's bounds allow: a GET, or a
   * POST carrying {@code idempotencyKey} (the same key on every send); a POST without a key is sent once.
   */
  Future<JsonObject> send(String operation, HttpMethod method, String path, String bearer, JsonObject body,
      String idempotencyKey) {
    return attempt(operation, method, path, bearer, body, idempotencyKey, 1, System.currentTimeMillis());
  }

  private Future<JsonObject> attempt(String operation, HttpMethod method, String path, String bearer,
      JsonObject body, String idempotencyKey, int attempt, long firstSentAtMs) {
    return once(operation, method, path, bearer, body, idempotencyKey).recover(failure -> {
      RetryReason reason = failure instanceof ApiProblem problem ? retried(method, idempotencyKey, problem) : null;
      long now = System.currentTimeMillis();
      if (reason == null || attempt >= retry.attemptsMax() || now >= sendBeforeMs) {
        return Future.failedFuture(failure);
      }
      long delay = retry.delayMs(attempt, ((ApiProblem) failure).retryAfterMs());
      if (now + delay - firstSentAtMs > retry.retryingMsMax()) {
        return Future.failedFuture(failure);
      }
      retries.computeIfAbsent(reason.code(), k -> new LongAdder()).increment();
      return vertx.timer(Math.max(1, delay)).compose(fired ->
          attempt(operation, method, path, bearer, body, idempotencyKey, attempt + 1, firstSentAtMs));
    });
  }

  /** Why this failed call may be sent again, or null: reads always, writes only under an Idempotency-Key. */
  static RetryReason retried(HttpMethod method, String idempotencyKey, ApiProblem problem) {
    if (method != HttpMethod.GET && idempotencyKey == null) {
      return null;
    }
    return RetryReason.of(problem);
  }

  /** Sends the call once, without retries. */
  Future<JsonObject> once(String operation, HttpMethod method, String path, String bearer, JsonObject body,
      String idempotencyKey) {
    // The idle timeout bounds the gateway's silence once the request is sent; waiting for a pooled
    // connection has its own, longer bound: a call queued behind others in this client is slow, not lost,
    // and must not be sent again just because the queue was long.
    long sendWithinMs = Math.min(CONNECTION_WAIT_MS_MAX, sendBeforeMs - System.currentTimeMillis());
    if (sendWithinMs <= 0) {
      return Future.failedFuture(new ApiProblem(operation, 0, ApiProblem.NOT_SENT, "the run has stopped", -1));
    }
    HttpRequest<Buffer> request = (buyerSide(path) ? buyerWeb : web).requestAbs(method, baseUrl + path)
        .connectTimeout(sendWithinMs)
        .idleTimeout(requestTimeoutMs)
        .putHeader("Accept", "application/json");
    if (bearer != null) {
      request.putHeader("Authorization", "Bearer " + bearer);
    }
    if (idempotencyKey != null) {
      request.putHeader("Idempotency-Key", idempotencyKey);
    }
    inFlight.incrementAndGet();
    Future<HttpResponse<Buffer>> sent = (body == null ? request.send() : request.sendJsonObject(body))
        .andThen(done -> inFlight.decrementAndGet());
    return sent.transform(result -> {
      if (result.failed()) {
        count(operation, 0);
        return Future.failedFuture(ApiProblem.noAnswer(operation, result.cause()));
      }
      HttpResponse<Buffer> response = result.result();
      count(operation, response.statusCode());
      return Future.succeededFuture(read(operation, response));
    });
  }

  /**
   * A browser's call at another site (the payment site a payment start sends the buyer to): sent once, as a
   * browser sends a form once, over the buyers' pool, with the same timeouts; answers its status and
   * {@code Location}, or fails as an unanswered call (status 0, {@link ApiProblem#NO_ANSWER}).
   */
  Future<SiteAnswer> atSite(String operation, HttpMethod method, String absoluteUrl) {
    long sendWithinMs = Math.min(CONNECTION_WAIT_MS_MAX, sendBeforeMs - System.currentTimeMillis());
    if (sendWithinMs <= 0) {
      return Future.failedFuture(new ApiProblem(operation, 0, ApiProblem.NOT_SENT, "the run has stopped", -1));
    }
    HttpRequest<Buffer> request = buyerWeb.requestAbs(method, absoluteUrl).connectTimeout(sendWithinMs)
        .idleTimeout(requestTimeoutMs).followRedirects(false).putHeader("Accept", "text/html");
    inFlight.incrementAndGet();
    return request.send().andThen(done -> inFlight.decrementAndGet()).transform(result -> {
      if (result.failed()) {
        count(operation, 0);
        // The failure's own message may quote the URL, whose query carries the payment's signature.
        return Future.failedFuture(new ApiProblem(operation, 0, ApiProblem.NO_ANSWER,
            result.cause().getClass().getSimpleName(), -1));
      }
      HttpResponse<Buffer> response = result.result();
      count(operation, response.statusCode());
      return Future.succeededFuture(new SiteAnswer(response.statusCode(), response.getHeader("Location")));
    });
  }

  /** A payment site's answer to a browser: its status and where it sends the browser (or null). */
  record SiteAnswer(int status, String location) {}

  private static JsonObject read(String operation, HttpResponse<Buffer> response) {
    Buffer buffer = response.bodyAsBuffer();
    int status = response.statusCode();
    if (buffer != null && buffer.length() > ANSWER_BYTES_MAX) {
      throw new ApiProblem(operation, status, ApiProblem.UNREADABLE, "answer larger than " + ANSWER_BYTES_MAX
          + " bytes", -1);
    }
    JsonObject json = null;
    if (buffer != null && buffer.length() > 0) {
      try {
        json = buffer.toJsonObject();
      } catch (DecodeException | ClassCastException e) {
        json = null;
      }
    }
    if (status >= 200 && status < 300) {
      if (json == null) {
        if (buffer == null || buffer.length() == 0) {
          return new JsonObject();
        }
        throw new ApiProblem(operation, status, ApiProblem.UNREADABLE, "the answer is not a JSON object", -1);
      }
      return json;
    }
    String code = json != null && json.getValue("code") instanceof String c ? c : ApiProblem.UNREADABLE;
    String detail = json != null && json.getValue("detail") instanceof String d ? d : null;
    throw new ApiProblem(operation, status, code, detail, retryAfterMs(response.headers()));
  }

  /** The buyers' calls: what a browser sends (checkout page data, payments, the buyer API). */
  static boolean buyerSide(String path) {
    return path.startsWith("/v1/buyer/") || path.startsWith("/v1/sandbox/")
        || path.startsWith("/v1/checkout-sessions/") || path.equals(PayerCalls.START_PATH);
  }

  static long retryAfterMs(MultiMap headers) {
    String value = headers.get("Retry-After");
    if (value == null) {
      return -1;
    }
    try {
      return Math.max(0, Long.parseLong(value.trim())) * 1000;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void count(String operation, int status) {
    answers.computeIfAbsent(operation + " " + status, k -> new LongAdder()).increment();
  }
}
