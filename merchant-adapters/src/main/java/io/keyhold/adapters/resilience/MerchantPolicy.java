package io.keyhold.adapters.resilience;

import io.keyhold.adapters.spi.Range;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * The limits every remote call to one merchant (or issuer) runs within: how long one attempt may
 * take, how many calls may be under way at once, when the circuit breaker opens and for how long,
 * and how often an idempotent call is retried. Immutable; built with {@link #builder()}, which
 * rejects a value out of range and says what it got, or read from configuration with
 * {@link #fromJson(JsonObject)}.
 */
public final class MerchantPolicy {

  /** Time one attempt may take before its outcome counts as unknown. */
  public static final int DEFAULT_TIMEOUT_MS = 2_000;
  /** Upper bound for {@code timeoutMs}. */
  public static final int TIMEOUT_MS_MAX = 60_000;
  /** Calls that may be under way to one merchant at once; more are rejected, never queued. */
  public static final int DEFAULT_MAX_CONCURRENT_CALLS = 16;
  /** Upper bound for {@code maxConcurrentCalls}. */
  public static final int MAX_CONCURRENT_CALLS_MAX = 1_024;
  /** Share of failed calls in the sliding window that opens the breaker. */
  public static final int DEFAULT_FAILURE_RATE_THRESHOLD_PERCENT = 50;
  /** Number of recent calls the failure rate is computed over. */
  public static final int DEFAULT_SLIDING_WINDOW_CALLS = 20;
  /** Upper bound for {@code slidingWindowCalls}. */
  public static final int SLIDING_WINDOW_CALLS_MAX = 1_000;
  /** Calls needed in the window before the failure rate counts. */
  public static final int DEFAULT_MINIMUM_CALLS = 10;
  /** How long an open breaker rejects calls before letting trial calls through. */
  public static final int DEFAULT_OPEN_STATE_WAIT_MS = 10_000;
  /** Upper bound for {@code openStateWaitMs}. */
  public static final int OPEN_STATE_WAIT_MS_MAX = 3_600_000;
  /** Trial calls a half-open breaker lets through. */
  public static final int DEFAULT_HALF_OPEN_CALLS = 3;
  /** Attempts for an idempotent call, the first included; non-idempotent calls get exactly one. */
  public static final int DEFAULT_RETRY_MAX_ATTEMPTS = 3;
  /** Upper bound for {@code retryMaxAttempts}. */
  public static final int RETRY_MAX_ATTEMPTS_MAX = 10;
  /** Wait before the first retry. */
  public static final int DEFAULT_RETRY_INITIAL_DELAY_MS = 100;
  /** Factor each further retry's wait grows by. */
  public static final double DEFAULT_RETRY_BACKOFF_MULTIPLIER = 2.0;
  /** Longest wait between two attempts. */
  public static final int DEFAULT_RETRY_MAX_DELAY_MS = 2_000;
  /** Upper bound for the retry delays. */
  public static final int RETRY_DELAY_MS_MAX = 60_000;

  private static final MerchantPolicy DEFAULTS = builder().build();

  private final int timeoutMs;
  private final int maxConcurrentCalls;
  private final int failureRateThresholdPercent;
  private final int slidingWindowCalls;
  private final int minimumCalls;
  private final int openStateWaitMs;
  private final int halfOpenCalls;
  private final int retryMaxAttempts;
  private final int retryInitialDelayMs;
  private final double retryBackoffMultiplier;
  private final int retryMaxDelayMs;

  private MerchantPolicy(Builder b) {
    this.timeoutMs = b.timeoutMs;
    this.maxConcurrentCalls = b.maxConcurrentCalls;
    this.failureRateThresholdPercent = b.failureRateThresholdPercent;
    this.slidingWindowCalls = b.slidingWindowCalls;
    this.minimumCalls = b.minimumCalls;
    this.openStateWaitMs = b.openStateWaitMs;
    this.halfOpenCalls = b.halfOpenCalls;
    this.retryMaxAttempts = b.retryMaxAttempts;
    this.retryInitialDelayMs = b.retryInitialDelayMs;
    this.retryBackoffMultiplier = b.retryBackoffMultiplier;
    this.retryMaxDelayMs = b.retryMaxDelayMs;
  }

  /** The policy with every default. */
  public static MerchantPolicy defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this policy's values. */
  public Builder toBuilder() {
    return new Builder()
        .timeoutMs(timeoutMs)
        .maxConcurrentCalls(maxConcurrentCalls)
        .failureRateThresholdPercent(failureRateThresholdPercent)
        .slidingWindowCalls(slidingWindowCalls)
        .minimumCalls(minimumCalls)
        .openStateWaitMs(openStateWaitMs)
        .halfOpenCalls(halfOpenCalls)
        .retryMaxAttempts(retryMaxAttempts)
        .retryInitialDelayMs(retryInitialDelayMs)
        .retryBackoffMultiplier(retryBackoffMultiplier)
        .retryMaxDelayMs(retryMaxDelayMs);
  }

  private static final Map<String, BiConsumer<Builder, Object>> JSON_FIELDS = Map.ofEntries(
      Map.entry("timeout_ms", (b, v) -> b.timeoutMs(asInt("timeout_ms", v))),
      Map.entry("max_concurrent_calls", (b, v) -> b.maxConcurrentCalls(asInt("max_concurrent_calls", v))),
      Map.entry("failure_rate_threshold_percent",
          (b, v) -> b.failureRateThresholdPercent(asInt("failure_rate_threshold_percent", v))),
      Map.entry("sliding_window_calls", (b, v) -> b.slidingWindowCalls(asInt("sliding_window_calls", v))),
      Map.entry("minimum_calls", (b, v) -> b.minimumCalls(asInt("minimum_calls", v))),
      Map.entry("open_state_wait_ms", (b, v) -> b.openStateWaitMs(asInt("open_state_wait_ms", v))),
      Map.entry("half_open_calls", (b, v) -> b.halfOpenCalls(asInt("half_open_calls", v))),
      Map.entry("retry_max_attempts", (b, v) -> b.retryMaxAttempts(asInt("retry_max_attempts", v))),
      Map.entry("retry_initial_delay_ms", (b, v) -> b.retryInitialDelayMs(asInt("retry_initial_delay_ms", v))),
      Map.entry("retry_backoff_multiplier",
          (b, v) -> b.retryBackoffMultiplier(asDouble("retry_backoff_multiplier", v))),
      Map.entry("retry_max_delay_ms", (b, v) -> b.retryMaxDelayMs(asInt("retry_max_delay_ms", v))));

  /** The JSON field names {@link #fromJson(JsonObject)} understands. */
  public static Set<String> jsonFields() {
    return JSON_FIELDS.keySet();
  }

  /**
   * Reads a policy from configuration: the fields of {@link #jsonFields()} in {@code snake_case}
   * ({@code timeout_ms}, {@code max_concurrent_calls}...), defaults for the rest. An unknown field is
   * rejected, so a typo never silently leaves a default in place.
   */
  public static MerchantPolicy fromJson(JsonObject json) {
    Objects.requireNonNull(json, "json");
    Builder builder = builder();
    for (Map.Entry<String, Object> field : json) {
      BiConsumer<Builder, Object> setter = JSON_FIELDS.get(field.getKey());
      if (setter == null) {
        throw new IllegalArgumentException("unknown policy field '" + field.getKey() + "'; known: "
            + new TreeSet<>(JSON_FIELDS.keySet()));
      }
      setter.accept(builder, field.getValue());
    }
    return builder.build();
  }

  private static int asInt(String field, Object value) {
    if (value instanceof Integer || value instanceof Long) {
      long v = ((Number) value).longValue();
      if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
        return (int) v;
      }
    }
    throw new IllegalArgumentException(field + " must be an integer, but was " + value);
  }

  private static double asDouble(String field, Object value) {
    if (value instanceof Number number) {
      return number.doubleValue();
    }
    throw new IllegalArgumentException(field + " must be a number, but was " + value);
  }

  /** Time one attempt may take. */
  public int timeoutMs() {
    return timeoutMs;
  }

  /** Calls that may be under way at once. */
  public int maxConcurrentCalls() {
    return maxConcurrentCalls;
  }

  /** Failure rate, in percent, that opens the breaker. */
  public int failureRateThresholdPercent() {
    return failureRateThresholdPercent;
  }

  /** Size of the breaker's sliding window, in calls. */
  public int slidingWindowCalls() {
    return slidingWindowCalls;
  }

  /** Calls needed before the failure rate counts. */
  public int minimumCalls() {
    return minimumCalls;
  }

  /** How long an open breaker waits before trial calls. */
  public int openStateWaitMs() {
    return openStateWaitMs;
  }

  /** Trial calls in the half-open state. */
  public int halfOpenCalls() {
    return halfOpenCalls;
  }

  /** Attempts for an idempotent call, the first included. */
  public int retryMaxAttempts() {
    return retryMaxAttempts;
  }

  /** Wait before the first retry. */
  public int retryInitialDelayMs() {
    return retryInitialDelayMs;
  }

  /** Growth factor of the retry wait. */
  public double retryBackoffMultiplier() {
    return retryBackoffMultiplier;
  }

  /** Longest retry wait. */
  public int retryMaxDelayMs() {
    return retryMaxDelayMs;
  }

  @Override
  public String toString() {
    return "MerchantPolicy[timeoutMs=" + timeoutMs + ", maxConcurrentCalls=" + maxConcurrentCalls
        + ", failureRateThresholdPercent=" + failureRateThresholdPercent + ", slidingWindowCalls="
        + slidingWindowCalls + ", minimumCalls=" + minimumCalls + ", openStateWaitMs=" + openStateWaitMs
        + ", halfOpenCalls=" + halfOpenCalls + ", retryMaxAttempts=" + retryMaxAttempts
        + ", retryInitialDelayMs=" + retryInitialDelayMs + ", retryBackoffMultiplier=" + retryBackoffMultiplier
        + ", retryMaxDelayMs=" + retryMaxDelayMs + "]";
  }

  /** Builds a {@link MerchantPolicy}; each setter rejects a value out of range, naming it. */
  public static final class Builder {
    private int timeoutMs = DEFAULT_TIMEOUT_MS;
    private int maxConcurrentCalls = DEFAULT_MAX_CONCURRENT_CALLS;
    private int failureRateThresholdPercent = DEFAULT_FAILURE_RATE_THRESHOLD_PERCENT;
    private int slidingWindowCalls = DEFAULT_SLIDING_WINDOW_CALLS;
    private int minimumCalls = DEFAULT_MINIMUM_CALLS;
    private int openStateWaitMs = DEFAULT_OPEN_STATE_WAIT_MS;
    private int halfOpenCalls = DEFAULT_HALF_OPEN_CALLS;
    private int retryMaxAttempts = DEFAULT_RETRY_MAX_ATTEMPTS;
    private int retryInitialDelayMs = DEFAULT_RETRY_INITIAL_DELAY_MS;
    private double retryBackoffMultiplier = DEFAULT_RETRY_BACKOFF_MULTIPLIER;
    private int retryMaxDelayMs = DEFAULT_RETRY_MAX_DELAY_MS;

    private Builder() {}

    /** 1 to {@value MerchantPolicy#TIMEOUT_MS_MAX}. */
    public Builder timeoutMs(int value) {
      this.timeoutMs = Range.check("timeoutMs", value, 1, TIMEOUT_MS_MAX);
      return this;
    }

    /** 1 to {@value MerchantPolicy#MAX_CONCURRENT_CALLS_MAX}. */
    public Builder maxConcurrentCalls(int value) {
      this.maxConcurrentCalls = Range.check("maxConcurrentCalls", value, 1, MAX_CONCURRENT_CALLS_MAX);
      return this;
    }

    /** 1 to 100. */
    public Builder failureRateThresholdPercent(int value) {
      this.failureRateThresholdPercent = Range.check("failureRateThresholdPercent", value, 1, 100);
      return this;
    }

    /** 1 to {@value MerchantPolicy#SLIDING_WINDOW_CALLS_MAX}. */
    public Builder slidingWindowCalls(int value) {
      this.slidingWindowCalls = Range.check("slidingWindowCalls", value, 1, SLIDING_WINDOW_CALLS_MAX);
      return this;
    }

    /** 1 to {@value MerchantPolicy#SLIDING_WINDOW_CALLS_MAX}. */
    public Builder minimumCalls(int value) {
      this.minimumCalls = Range.check("minimumCalls", value, 1, SLIDING_WINDOW_CALLS_MAX);
      return this;
    }

    /** 1 to {@value MerchantPolicy#OPEN_STATE_WAIT_MS_MAX}. */
    public Builder openStateWaitMs(int value) {
      this.openStateWaitMs = Range.check("openStateWaitMs", value, 1, OPEN_STATE_WAIT_MS_MAX);
      return this;
    }

    /** 1 to {@value MerchantPolicy#SLIDING_WINDOW_CALLS_MAX}. */
    public Builder halfOpenCalls(int value) {
      this.halfOpenCalls = Range.check("halfOpenCalls", value, 1, SLIDING_WINDOW_CALLS_MAX);
      return this;
    }

    /** 1 (no retry) to {@value MerchantPolicy#RETRY_MAX_ATTEMPTS_MAX}. */
    public Builder retryMaxAttempts(int value) {
      this.retryMaxAttempts = Range.check("retryMaxAttempts", value, 1, RETRY_MAX_ATTEMPTS_MAX);
      return this;
    }

    /** 1 to {@value MerchantPolicy#RETRY_DELAY_MS_MAX}. */
    public Builder retryInitialDelayMs(int value) {
      this.retryInitialDelayMs = Range.check("retryInitialDelayMs", value, 1, RETRY_DELAY_MS_MAX);
      return this;
    }

    /** 1.0 to 10.0. */
    public Builder retryBackoffMultiplier(double value) {
      if (!(value >= 1.0 && value <= 10.0)) {
        throw new IllegalArgumentException("retryBackoffMultiplier must be between 1.0 and 10.0, but was " + value);
      }
      this.retryBackoffMultiplier = value;
      return this;
    }

    /** 1 to {@value MerchantPolicy#RETRY_DELAY_MS_MAX}. */
    public Builder retryMaxDelayMs(int value) {
      this.retryMaxDelayMs = Range.check("retryMaxDelayMs", value, 1, RETRY_DELAY_MS_MAX);
      return this;
    }

    /** The policy; rejects values that contradict each other. */
    public MerchantPolicy build() {
      if (minimumCalls > slidingWindowCalls) {
        throw new IllegalArgumentException("minimumCalls must be at most slidingWindowCalls (" + slidingWindowCalls
            + "), but was " + minimumCalls);
      }
      if (retryInitialDelayMs > retryMaxDelayMs) {
        throw new IllegalArgumentException("retryInitialDelayMs must be at most retryMaxDelayMs (" + retryMaxDelayMs
            + "), but was " + retryInitialDelayMs);
      }
      return new MerchantPolicy(this);
    }
  }
}
