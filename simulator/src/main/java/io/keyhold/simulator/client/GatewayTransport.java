package io.keyhold.simulator.client;

import static io.keyhold.simulator.client.GatewayClient.ANSWER_BYTES_MAX;
import static io.keyhold.simulator.client.GatewayClient.CONNECTION_WAIT_MS_MAX;
import static io.keyhold.simulator.client.GatewayClient.RETRIES_MAX;
import static io.keyhold.simulator.client.GatewayClient.RETRY_AFTER_MS_MAX;
import static io.keyhold.simulator.client.GatewayClient.RETRY_DELAY_MS_MAX;
import static io.keyhold.simulator.client.GatewayClient.RETRY_DELAY_MS_MIN;

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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * How every call of the four roles travels: the pool it takes (buyers' calls apart from the shops' and
 * the operator's), the headers, the retries with the same {@code Idempotency-Key}, the timeouts, the
 * answer read into JSON or an {@link ApiProblem}, and the counts of answers and calls in flight.
 */
final class GatewayTransport {

  private final Vertx vertx;
  private final WebClient web;
  private final WebClient buyerWeb;
  private final String baseUrl;
  private final long requestTimeoutMs;
  private final long sendBeforeMs;
  private final Map<String, LongAdder> answers;
  private final AtomicInteger inFlight;

  private GatewayTransport(Vertx vertx, WebClient web, WebClient buyerWeb, String baseUrl, long requestTimeoutMs,
      long sendBeforeMs, Map<String, LongAdder> answers, AtomicInteger inFlight) {
    this.vertx = vertx;
    this.web = web;
    this.buyerWeb = buyerWeb;
    this.baseUrl = baseUrl;
    this.requestTimeoutMs = requestTimeoutMs;
    this.sendBeforeMs = sendBeforeMs;
    this.answers = answers;
    this.inFlight = inFlight;
  }

  /** Calls over {@code web} (shops and operator) and {@code buyerWeb} (buyers), with no stop time. */
  static GatewayTransport over(Vertx vertx, WebClient web, WebClient buyerWeb, String baseUrl, long requestTimeoutMs) {
    return new GatewayTransport(vertx, web, buyerWeb, baseUrl, requestTimeoutMs, Long.MAX_VALUE,
        new ConcurrentHashMap<>(), new AtomicInteger());
  }

  /** The same pools and counters; no call is sent, nor retried, at or after {@code sendBeforeMs}. */
  GatewayTransport sendingBefore(long sendBeforeMs) {
    return new GatewayTransport(vertx, web, buyerWeb, baseUrl, requestTimeoutMs, sendBeforeMs, answers, inFlight);
  }

  String baseUrl() {
    return baseUrl;
  }

  int callsInFlight() {
    return inFlight.get();
  }

  Map<String, Long> answerCounts() {
    Map<String, Long> counts = new TreeMap<>();
    answers.forEach((key, adder) -> counts.put(key, adder.sum()));
    return counts;
  }

  /**
   * Sends the call, retried while the answer says it may be; a POST without a key of its own gets a
   * fresh one, kept for its retries.
   */
  Future<JsonObject> send(String operation, HttpMethod method, String path, String bearer, JsonObject body,
      String idempotencyKey) {
    String key = method == HttpMethod.POST && idempotencyKey == null ? UUID.randomUUID().toString() : idempotencyKey;
    return attempt(operation, method, path, bearer, body, key, 0);
  }

  private Future<JsonObject> attempt(String operation, HttpMethod method, String path, String bearer,
      JsonObject body, String idempotencyKey, int retry) {
    return once(operation, method, path, bearer, body, idempotencyKey).recover(failure -> {
      if (failure instanceof ApiProblem problem && problem.retryable() && retry < RETRIES_MAX
          && (method == HttpMethod.GET || idempotencyKey != null) && System.currentTimeMillis() < sendBeforeMs) {
        long delay;
        if (problem.retryAfterMs() > 0) {
          // What the gateway asked, as well-behaved clients do, with a fifth more at most as jitter: a crowd
          // told the same delay must not come back in the same millisecond.
          long asked = Math.min(RETRY_AFTER_MS_MAX, problem.retryAfterMs());
          delay = asked + ThreadLocalRandom.current().nextLong(asked / 5 + 1);
        } else {
          long backoff = Math.min(RETRY_DELAY_MS_MAX, Math.max(RETRY_DELAY_MS_MIN, RETRY_DELAY_MS_MIN << retry));
          // Timing only, so not drawn from the run's seed.
          delay = backoff + ThreadLocalRandom.current().nextLong(backoff + 1);
        }
        return vertx.timer(delay).compose(fired ->
            attempt(operation, method, path, bearer, body, idempotencyKey, retry + 1));
      }
      return Future.failedFuture(failure);
    });
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

  /** The buyers' calls: what a browser sends (checkout page data, sandbox payments, the buyer API). */
  static boolean buyerSide(String path) {
    return path.startsWith("/v1/buyer/") || path.startsWith("/v1/sandbox/")
        || path.startsWith("/v1/checkout-sessions/");
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
