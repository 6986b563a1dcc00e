package io.keyhold.adapters.reference;

import io.keyhold.adapters.http.MerchantProtocol;
import io.keyhold.adapters.signature.Signatures;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The switchable faults of {@link Faults}, applied to one exchange at a time: held requests, injected
 * errors, malformed bodies and wrong signatures. One seeded random decides every roll, so a seeded run
 * injects the same faults again. Lives on the reference merchant's event loop.
 */
final class FaultInjection {

  /** A stale signature is this much older than the replay window accepts. */
  private static final long STALE_MARGIN_SECONDS = 60;

  private final Vertx vertx;
  private final SplittableRandom random;
  private final Clock clock;
  private final int replayWindowSeconds;
  private final int holdMs;
  private final Set<Long> holdTimers = new HashSet<>();
  private final Map<Faults.Scope, SignedAnswer> lastAnswer = new EnumMap<>(Faults.Scope.class);
  private final AtomicLong heldRequests = new AtomicLong();
  private final AtomicLong injectedErrors = new AtomicLong();

  FaultInjection(Vertx vertx, SplittableRandom random, ReferenceMerchantOptions options) {
    this.vertx = vertx;
    this.random = random;
    this.clock = options.clock();
    this.replayWindowSeconds = options.replayWindowSeconds();
    this.holdMs = options.holdMs();
  }

  /**
   * Holds the request without answering when the timeout fault rolls, and closes its connection after
   * the hold time; answers whether it did.
   */
  boolean held(RoutingContext ctx, Faults current) {
    if (!roll(current.timeoutRate())) {
      return false;
    }
    heldRequests.incrementAndGet();
    long[] timer = new long[1];
    timer[0] = vertx.setTimer(holdMs, id -> {
      holdTimers.remove(timer[0]);
      ctx.request().connection().close();
    });
    holdTimers.add(timer[0]);
    return true;
  }

  /** Whether this request is answered with an injected server error instead of its operation's answer. */
  boolean injectsError(Faults current) {
    if (!roll(current.errorRate())) {
      return false;
    }
    injectedErrors.incrementAndGet();
    return true;
  }

  /** The bytes to send for {@code body}: the body itself, or a malformed version of it when that fault rolls. */
  Buffer body(JsonObject body, Faults current) {
    return roll(current.malformedRate()) ? malform(body, current.malformed()) : body.toBuffer();
  }

  /**
   * The answer as sent: {@code sent} itself, or with a forged, stale, missing or replayed signature
   * when the signature fault rolls. A correctly signed answer is remembered for a later replay.
   */
  SignedAnswer signed(Faults.Scope scope, SignedAnswer sent, Faults current, Signatures signatures) {
    if (!roll(current.signatureFaultRate())) {
      lastAnswer.put(scope, sent);
      return sent;
    }
    byte[] bytes = sent.body().getBytes();
    return switch (current.signatureFault()) {
      case FORGED -> new SignedAnswer(sent.status(), sent.contentType(), sent.body(),
          Signatures.builder().secret("forged-" + Long.toHexString(random.nextLong()) + "-secret").build().sign(bytes));
      case STALE -> new SignedAnswer(sent.status(), sent.contentType(), sent.body(),
          signatures.sign(bytes, clock.instant().getEpochSecond() - replayWindowSeconds - STALE_MARGIN_SECONDS));
      case MISSING -> new SignedAnswer(sent.status(), sent.contentType(), sent.body(), null);
      case REPLAYED -> {
        SignedAnswer previous = lastAnswer.get(scope);
        lastAnswer.put(scope, sent);
        yield previous != null ? previous : sent;
      }
    };
  }

  long heldRequests() {
    return heldRequests.get();
  }

  long injectedErrors() {
    return injectedErrors.get();
  }

  void cancelHolds() {
    holdTimers.forEach(vertx::cancelTimer);
  }

  private boolean roll(double rate) {
    return rate > 0 && random.nextDouble() < rate;
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
      case OVERSIZED -> body.copy().put("padding", "x".repeat(MerchantProtocol.BODY_BYTES_MAX)).toBuffer();
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
}
