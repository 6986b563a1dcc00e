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
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * How every call of the four roles travels: the pool it takes (buyers' calls apart from the shops' and
 * the operator's), the headers, the retries ({@link RetryPolicy}, {@link RetryReason}), the timeouts, the
 * answer read into JSON or an {@link ApiProblem}, and the counts of answers, retries and calls in flight.
 *
 * <p>A 503 carrying a {@value #TICKET_HEADER} header gives the call a place in the gateway's waiting room: the
 * call is asked again when {@code Retry-After} says, with the latest ticket it got in that header, and waits its
 * turn within {@link RetryPolicy#placeWaitMsMax()} rather than its failure bounds. A caller that passes a
 * {@link CallTiming} learns how long the call waited in line and how long its served attempt took.
 */
final class GatewayTransport {
  /** The header of a place in the gateway's waiting room: answered with a 503, sent back on the retry. */
  static final String TICKET_HEADER = "Keyhold-Ticket";
  /** The longest ticket the gateway gives; a longer one is not echoed back. */
  static final int TICKET_CHARS_MAX = 128;

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
    return send(operation, method, path, bearer, body, idempotencyKey, null);
  }

  /**
   * {@link #send(String, HttpMethod, String, String, JsonObject, String)}, telling {@code timing} (unless null)
   * how the call's time was spent: its wait in the gateway's waiting room, and its served attempt.
   */
  Future<JsonObject> send(String operation, HttpMethod method, String path, String bearer, JsonObject body,
      String idempotencyKey, CallTiming timing) {
    return attempt(operation, method, path, bearer, body, idempotencyKey, new Retrying(System.currentTimeMillis()),
        timing);
  }

  /** One call's way through its retries: what its bounds have counted so far, and the ticket it sends back. */
  private static final class Retrying {
    final long firstSentAtMs;
    /** Sends answered with a failure other than a place in line: only these count against attempts max. */
    int failedSends;
    /** Time spent holding a place in line, which the bound on retrying does not count. */
    long inLineMs;
    long sentAtMs;
    /** The latest answer gave a place in line. */
    boolean holdingPlace;
    /** The latest ticket received, sent back on every later send. */
    String ticket;

    Retrying(long firstSentAtMs) {
      this.firstSentAtMs = firstSentAtMs;
      this.sentAtMs = firstSentAtMs;
    }

    void sending(long nowMs) {
      if (holdingPlace) {
        inLineMs += nowMs - sentAtMs;
      }
      sentAtMs = nowMs;
    }

    void failed(Throwable failure, CallTiming timing) {
      holdingPlace = failure instanceof ApiProblem problem && problem.placeGiven();
      if (holdingPlace) {
        ticket = ((ApiProblem) failure).ticket();
        if (timing != null) {
          timing.givenPlace();
        }
      } else {
        failedSends++;
      }
    }
  }

  private Future<JsonObject> attempt(String operation, HttpMethod method, String path, String bearer,
      JsonObject body, String idempotencyKey, Retrying call, CallTiming timing) {
    call.sending(System.currentTimeMillis());
    return once(operation, method, path, bearer, body, idempotencyKey, call.ticket, timing).recover(failure -> {
      call.failed(failure, timing);
      RetryReason reason = failure instanceof ApiProblem problem ? retried(method, idempotencyKey, problem) : null;
      long now = System.currentTimeMillis();
      if (reason == null || now >= sendBeforeMs) {
        return Future.failedFuture(failure);
      }
      long retryAfterMs = ((ApiProblem) failure).retryAfterMs();
      long delay;
      if (reason == RetryReason.WAITING_ROOM) {
        // A caller waiting its turn, not failing: bounded by its time in line, not by its failures.
        delay = retry.delayMs(Math.max(1, call.failedSends), Math.max(RetryPolicy.PLACE_RETRY_AFTER_MS_MIN,
            retryAfterMs));
        if (now + delay - call.firstSentAtMs > retry.placeWaitMsMax()) {
          return Future.failedFuture(failure);
        }
      } else {
        if (call.failedSends >= retry.attemptsMax()) {
          return Future.failedFuture(failure);
        }
        delay = retry.delayMs(call.failedSends, retryAfterMs);
        if (now + delay - call.firstSentAtMs - call.inLineMs > retry.retryingMsMax()) {
          return Future.failedFuture(failure);
        }
      }
      if (now + delay >= sendBeforeMs) {
        // The retry would come after the run's stop, when nothing is sent: the call ends at the stop, not
        // a Retry-After later, so nothing of the run is still under way once it is over.
        return vertx.timer(Math.max(1, sendBeforeMs - now)).compose(fired -> Future.failedFuture(failure));
      }
      retries.computeIfAbsent(reason.code(), k -> new LongAdder()).increment();
      return vertx.timer(Math.max(1, delay)).compose(fired ->
          attempt(operation, method, path, bearer, body, idempotencyKey, call, timing));
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
    return once(operation, method, path, bearer, body, idempotencyKey, null, null);
  }

  /** Sends the call once with the place in line it holds ({@code ticket}, or null), timed into {@code timing}. */
  private Future<JsonObject> once(String operation, HttpMethod method, String path, String bearer, JsonObject body,
      String idempotencyKey, String ticket, CallTiming timing) {
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
    if (ticket != null) {
      request.putHeader(TICKET_HEADER, ticket);
    }
    inFlight.incrementAndGet();
    if (timing != null) {
      timing.sent(System.nanoTime());
    }
    Future<HttpResponse<Buffer>> sent = (body == null ? request.send() : request.sendJsonObject(body))
        .andThen(done -> {
          inFlight.decrementAndGet();
          if (timing != null) {
            timing.ended(System.nanoTime());
          }
        });
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
    int heldUnits = json != null && json.getValue("held_units") instanceof Integer held && held >= 0 ? held
        : ApiProblem.NOT_SAID;
    Instant heldUntil = json == null ? null : OrderView.instant(json.getValue("held_until"));
    throw new ApiProblem(operation, status, code, detail, retryAfterMs(response.headers()),
        ticket(response.headers()), heldUnits, heldUntil == null ? ApiProblem.NOT_SAID : heldUntil.toEpochMilli());
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

  /**
   * The answer's {@value #TICKET_HEADER}, or null when it has none or one the gateway does not give (empty,
   * longer than {@value #TICKET_CHARS_MAX} characters, not printable ASCII): such a value is not put back into a
   * request header.
   */
  static String ticket(MultiMap headers) {
    String value = headers.get(TICKET_HEADER);
    if (value == null || value.isEmpty() || value.length() > TICKET_CHARS_MAX) {
      return null;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < ' ' || c > '~') {
        return null;
      }
    }
    return value;
  }

  private void count(String operation, int status) {
    answers.computeIfAbsent(operation + " " + status, k -> new LongAdder()).increment();
  }
}
