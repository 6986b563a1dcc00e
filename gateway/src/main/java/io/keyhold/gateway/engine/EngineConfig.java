package io.keyhold.gateway.engine;

import io.keyhold.gateway.store.Range;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * The order engine's limits and pacing: how often the sweeper and the outbox look for work, how much
 * they take at once, how often a failed effect is retried, and the sandbox payment provider's
 * behaviour. Immutable; built by {@link Builder}, which rejects a bad value and names it.
 *
 * <p>Intervals are real time (Vert.x timers); deadlines are read from the gateway's injected clock,
 * so tests move the clock and keep the intervals small.
 */
public final class EngineConfig {
  public static final long DEFAULT_SWEEP_INTERVAL_MS = 1_000;
  public static final int DEFAULT_SWEEP_BATCH_MAX = 100;
  public static final long DEFAULT_OUTBOX_INTERVAL_MS = 500;
  public static final int DEFAULT_OUTBOX_BATCH_MAX = 50;
  /** Effects of one batch run at the same time at most; the rest wait for the next batch. */
  public static final int DEFAULT_OUTBOX_CONCURRENCY_MAX = 16;
  public static final int DEFAULT_OUTBOX_ATTEMPTS_MAX = 12;
  /** How long a claimed outbox row is hidden from other claims while its effect runs. */
  public static final long DEFAULT_OUTBOX_LEASE_MS = 60_000;
  /** How often an instance records that it is alive. */
  public static final long DEFAULT_INSTANCE_BEAT_MS = 1_000;
  /**
   * An instance silent this long is taken for dead and its claims are handed back; three missed beats, so a
   * busy moment is not a death. A dead instance's work is taken over at most lease + one beat after its end.
   */
  public static final long DEFAULT_INSTANCE_LEASE_MS = 3_000;
  public static final long DEFAULT_OUTBOX_BACKOFF_BASE_MS = 500;
  public static final long DEFAULT_OUTBOX_BACKOFF_MAX_MS = 300_000;
  /** The sandbox provider's pause between the buyer's confirmation and its first notice. */
  public static final long DEFAULT_SANDBOX_NOTICE_DELAY_MS = 50;
  /** Extra seconds a checkout reservation outlives the payment deadline, so the sweeper expires the order first. */
  public static final long DEFAULT_RESERVATION_GRACE_SECONDS = 60;
  /**
   * A payment started at a remote site (易支付) whose notice has not come this long after it started is asked
   * about with the site's query API; a notice usually comes within seconds.
   */
  public static final long DEFAULT_PAYMENT_POLL_AFTER_MS = 60_000;
  /** How often the query poll looks for such payments. */
  public static final long DEFAULT_PAYMENT_POLL_INTERVAL_MS = 10_000;
  public static final long INTERVAL_MS_MIN = 5;
  public static final long INTERVAL_MS_MAX = 3_600_000;
  public static final int BATCH_MAX_MAX = 10_000;
  public static final int ATTEMPTS_MAX_MAX = 100;

  private static final Set<String> JSON_KEYS = Set.of("sweep_interval_ms", "sweep_batch_max", "outbox_interval_ms",
      "outbox_batch_max", "outbox_concurrency_max", "outbox_attempts_max", "outbox_lease_ms",
      "outbox_backoff_base_ms", "outbox_backoff_max_ms", "sandbox_chaos", "sandbox_notice_delay_ms",
      "reservation_grace_seconds", "workers", "instance_beat_ms", "instance_lease_ms",
      "payment_poll_after_ms", "payment_poll_interval_ms");

  private final long sweepIntervalMs;
  private final int sweepBatchMax;
  private final long outboxIntervalMs;
  private final int outboxBatchMax;
  private final int outboxConcurrencyMax;
  private final int outboxAttemptsMax;
  private final long outboxLeaseMs;
  private final long outboxBackoffBaseMs;
  private final long outboxBackoffMaxMs;
  private final boolean sandboxChaos;
  private final long sandboxNoticeDelayMs;
  private final long reservationGraceSeconds;
  private final boolean workers;
  private final long paymentPollAfterMs;
  private final long paymentPollIntervalMs;
  private final JsonObject paymentProviders;
  private final String checkoutProvider;
  private final long instanceBeatMs;
  private final long instanceLeaseMs;

  private EngineConfig(Builder b) {
    this.sweepIntervalMs = b.sweepIntervalMs;
    this.sweepBatchMax = b.sweepBatchMax;
    this.outboxIntervalMs = b.outboxIntervalMs;
    this.outboxBatchMax = b.outboxBatchMax;
    this.outboxConcurrencyMax = b.outboxConcurrencyMax;
    this.outboxAttemptsMax = b.outboxAttemptsMax;
    this.outboxLeaseMs = b.outboxLeaseMs;
    this.outboxBackoffBaseMs = b.outboxBackoffBaseMs;
    this.outboxBackoffMaxMs = b.outboxBackoffMaxMs;
    this.sandboxChaos = b.sandboxChaos;
    this.sandboxNoticeDelayMs = b.sandboxNoticeDelayMs;
    this.paymentPollAfterMs = b.paymentPollAfterMs;
    this.paymentPollIntervalMs = b.paymentPollIntervalMs;
    this.paymentProviders = b.paymentProviders.copy();
    this.checkoutProvider = b.checkoutProvider;
    this.reservationGraceSeconds = b.reservationGraceSeconds;
    this.workers = b.workers;
    this.instanceBeatMs = b.instanceBeatMs;
    this.instanceLeaseMs = b.instanceLeaseMs;
  }

  /** Pause between two heartbeats of this instance. */
  public long instanceBeatMs() {
    return instanceBeatMs;
  }

  /** Silence after which another instance is taken for dead (see {@link #DEFAULT_INSTANCE_LEASE_MS}). */
  public long instanceLeaseMs() {
    return instanceLeaseMs;
  }

  public static EngineConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Pause between two sweeps of due orders. */
  public long sweepIntervalMs() {
    return sweepIntervalMs;
  }

  /** Due orders one sweep transaction claims at most. */
  public int sweepBatchMax() {
    return sweepBatchMax;
  }

  /** Pause between two outbox polls when there was nothing to do. */
  public long outboxIntervalMs() {
    return outboxIntervalMs;
  }

  /** Outbox rows one claim takes at most. */
  public int outboxBatchMax() {
    return outboxBatchMax;
  }

  public int outboxConcurrencyMax() {
    return outboxConcurrencyMax;
  }

  /** Attempts of one effect before it is recorded as failed. */
  public int outboxAttemptsMax() {
    return outboxAttemptsMax;
  }

  public long outboxLeaseMs() {
    return outboxLeaseMs;
  }

  public long outboxBackoffBaseMs() {
    return outboxBackoffBaseMs;
  }

  public long outboxBackoffMaxMs() {
    return outboxBackoffMaxMs;
  }

  /** Whether the sandbox provider repeats and reorders its notices, as real providers may. */
  public boolean sandboxChaos() {
    return sandboxChaos;
  }

  public long sandboxNoticeDelayMs() {
    return sandboxNoticeDelayMs;
  }

  public long reservationGraceSeconds() {
    return reservationGraceSeconds;
  }

  /** Whether this instance runs the sweeper and the outbox (false only for tests that drive them by hand). */
  public boolean workers() {
    return workers;
  }

  /** See {@link #DEFAULT_PAYMENT_POLL_AFTER_MS}. */
  public long paymentPollAfterMs() {
    return paymentPollAfterMs;
  }

  public long paymentPollIntervalMs() {
    return paymentPollIntervalMs;
  }

  /**
   * The configuration of each configured payment provider plug-in, by id ({@code payments.providers} of the config
   * file): holds secrets, never logged.
   */
  public JsonObject paymentProviders() {
    return paymentProviders.copy();
  }

  /** The provider the checkout page pays through ({@code payments.checkout}): {@code sandbox} unless configured. */
  public String checkoutProvider() {
    return checkoutProvider;
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.sweepIntervalMs = sweepIntervalMs;
    b.sweepBatchMax = sweepBatchMax;
    b.outboxIntervalMs = outboxIntervalMs;
    b.outboxBatchMax = outboxBatchMax;
    b.outboxConcurrencyMax = outboxConcurrencyMax;
    b.outboxAttemptsMax = outboxAttemptsMax;
    b.outboxLeaseMs = outboxLeaseMs;
    b.outboxBackoffBaseMs = outboxBackoffBaseMs;
    b.outboxBackoffMaxMs = outboxBackoffMaxMs;
    b.sandboxChaos = sandboxChaos;
    b.sandboxNoticeDelayMs = sandboxNoticeDelayMs;
    b.reservationGraceSeconds = reservationGraceSeconds;
    b.workers = workers;
    b.instanceBeatMs = instanceBeatMs;
    b.instanceLeaseMs = instanceLeaseMs;
    b.paymentPollAfterMs = paymentPollAfterMs;
    b.paymentPollIntervalMs = paymentPollIntervalMs;
    b.paymentProviders = paymentProviders.copy();
    b.checkoutProvider = checkoutProvider;
    return b;
  }

  @Override
  public String toString() {
    return "EngineConfig[sweepIntervalMs=" + sweepIntervalMs + ", sweepBatchMax=" + sweepBatchMax
        + ", outboxIntervalMs=" + outboxIntervalMs + ", outboxBatchMax=" + outboxBatchMax
        + ", outboxConcurrencyMax=" + outboxConcurrencyMax + ", outboxAttemptsMax=" + outboxAttemptsMax
        + ", instanceBeatMs=" + instanceBeatMs + ", instanceLeaseMs=" + instanceLeaseMs
        + ", outboxLeaseMs=" + outboxLeaseMs + ", outboxBackoffBaseMs=" + outboxBackoffBaseMs
        + ", outboxBackoffMaxMs=" + outboxBackoffMaxMs + ", sandboxChaos=" + sandboxChaos
        + ", sandboxNoticeDelayMs=" + sandboxNoticeDelayMs + ", reservationGraceSeconds=" + reservationGraceSeconds
        + ", workers=" + workers + ", paymentPollAfterMs=" + paymentPollAfterMs + ", paymentPollIntervalMs="
        + paymentPollIntervalMs + ", paymentProviders=" + paymentProviders.fieldNames() + ", checkoutProvider="
        + checkoutProvider + "]";
  }

  /** Builds an {@link EngineConfig}; every setter checks its value at once. */
  public static final class Builder {
    private long sweepIntervalMs = DEFAULT_SWEEP_INTERVAL_MS;
    private int sweepBatchMax = DEFAULT_SWEEP_BATCH_MAX;
    private long outboxIntervalMs = DEFAULT_OUTBOX_INTERVAL_MS;
    private int outboxBatchMax = DEFAULT_OUTBOX_BATCH_MAX;
    private int outboxConcurrencyMax = DEFAULT_OUTBOX_CONCURRENCY_MAX;
    private int outboxAttemptsMax = DEFAULT_OUTBOX_ATTEMPTS_MAX;
    private long outboxLeaseMs = DEFAULT_OUTBOX_LEASE_MS;
    private long outboxBackoffBaseMs = DEFAULT_OUTBOX_BACKOFF_BASE_MS;
    private long outboxBackoffMaxMs = DEFAULT_OUTBOX_BACKOFF_MAX_MS;
    private boolean sandboxChaos;
    private long sandboxNoticeDelayMs = DEFAULT_SANDBOX_NOTICE_DELAY_MS;
    private long reservationGraceSeconds = DEFAULT_RESERVATION_GRACE_SECONDS;
    private boolean workers = true;
    private long instanceBeatMs = DEFAULT_INSTANCE_BEAT_MS;
    private long instanceLeaseMs = DEFAULT_INSTANCE_LEASE_MS;
    private long paymentPollAfterMs = DEFAULT_PAYMENT_POLL_AFTER_MS;
    private long paymentPollIntervalMs = DEFAULT_PAYMENT_POLL_INTERVAL_MS;
    private JsonObject paymentProviders = new JsonObject();
    private String checkoutProvider = "sandbox";

    private Builder() {}

    public Builder paymentPollAfterMs(long value) {
      Range.check("payment poll after ms", value, INTERVAL_MS_MIN, INTERVAL_MS_MAX);
      this.paymentPollAfterMs = value;
      return this;
    }

    public Builder paymentPollIntervalMs(long value) {
      Range.check("payment poll interval ms", value, INTERVAL_MS_MIN, INTERVAL_MS_MAX);
      this.paymentPollIntervalMs = value;
      return this;
    }

    /** Each payment provider plug-in's configuration by id; every value must be a JSON object. */
    public Builder paymentProviders(JsonObject value) {
      for (String id : value.fieldNames()) {
        if (!(value.getValue(id) instanceof JsonObject)) {
          throw new IllegalArgumentException("payments.providers." + id + " must be a JSON object");
        }
      }
      this.paymentProviders = value.copy();
      return this;
    }

    /** Sets one setting of one provider (an environment variable's secret over the file's). */
    public Builder paymentProviderSetting(String provider, String name, String value) {
      JsonObject next = paymentProviders.copy();
      JsonObject settings = next.getJsonObject(provider, new JsonObject());
      next.put(provider, settings.put(name, value));
      this.paymentProviders = next;
      return this;
    }

    public Builder checkoutProvider(String value) {
      if (value == null || !value.matches("[a-z][a-z0-9_-]{0,31}")) {
        throw new IllegalArgumentException("payments.checkout must be a provider id, but was " + value);
      }
      this.checkoutProvider = value;
      return this;
    }

    public Builder instanceBeatMs(long value) {
      Range.check("instance beat ms", value, 50, 60_000);
      this.instanceBeatMs = value;
      return this;
    }

    public Builder instanceLeaseMs(long value) {
      Range.check("instance lease ms", value, 150, 600_000);
      this.instanceLeaseMs = value;
      return this;
    }

    public Builder sweepIntervalMs(long value) {
      Range.check("sweep interval ms", value, INTERVAL_MS_MIN, INTERVAL_MS_MAX);
      this.sweepIntervalMs = value;
      return this;
    }

    public Builder sweepBatchMax(int value) {
      Range.check("sweep batch max", value, 1, BATCH_MAX_MAX);
      this.sweepBatchMax = value;
      return this;
    }

    public Builder outboxIntervalMs(long value) {
      Range.check("outbox interval ms", value, INTERVAL_MS_MIN, INTERVAL_MS_MAX);
      this.outboxIntervalMs = value;
      return this;
    }

    public Builder outboxBatchMax(int value) {
      Range.check("outbox batch max", value, 1, BATCH_MAX_MAX);
      this.outboxBatchMax = value;
      return this;
    }

    public Builder outboxConcurrencyMax(int value) {
      Range.check("outbox concurrency max", value, 1, BATCH_MAX_MAX);
      this.outboxConcurrencyMax = value;
      return this;
    }

    public Builder outboxAttemptsMax(int value) {
      Range.check("outbox attempts max", value, 1, ATTEMPTS_MAX_MAX);
      this.outboxAttemptsMax = value;
      return this;
    }

    public Builder outboxLeaseMs(long value) {
      Range.check("outbox lease ms", value, 100, INTERVAL_MS_MAX);
      this.outboxLeaseMs = value;
      return this;
    }

    public Builder outboxBackoffBaseMs(long value) {
      Range.check("outbox backoff base ms", value, 1, INTERVAL_MS_MAX);
      this.outboxBackoffBaseMs = value;
      return this;
    }

    public Builder outboxBackoffMaxMs(long value) {
      Range.check("outbox backoff max ms", value, 1, INTERVAL_MS_MAX);
      this.outboxBackoffMaxMs = value;
      return this;
    }

    public Builder sandboxChaos(boolean value) {
      this.sandboxChaos = value;
      return this;
    }

    public Builder sandboxNoticeDelayMs(long value) {
      Range.check("sandbox notice delay ms", value, 0, INTERVAL_MS_MAX);
      this.sandboxNoticeDelayMs = value;
      return this;
    }

    public Builder reservationGraceSeconds(long value) {
      Range.check("reservation grace seconds", value, 0, 86_400);
      this.reservationGraceSeconds = value;
      return this;
    }

    public Builder workers(boolean value) {
      this.workers = value;
      return this;
    }

    /** Applies the {@code engine} object of a JSON config file (keys as the setters, in snake_case). */
    public Builder applyJson(JsonObject json) {
      for (String key : json.fieldNames()) {
        if (!JSON_KEYS.contains(key)) {
          throw new IllegalArgumentException("unknown config key 'engine." + key + "'; known keys: " + JSON_KEYS);
        }
      }
      try {
        if (json.containsKey("sweep_interval_ms")) sweepIntervalMs(json.getLong("sweep_interval_ms"));
        if (json.containsKey("sweep_batch_max")) sweepBatchMax(json.getInteger("sweep_batch_max"));
        if (json.containsKey("outbox_interval_ms")) outboxIntervalMs(json.getLong("outbox_interval_ms"));
        if (json.containsKey("outbox_batch_max")) outboxBatchMax(json.getInteger("outbox_batch_max"));
        if (json.containsKey("outbox_concurrency_max")) outboxConcurrencyMax(json.getInteger("outbox_concurrency_max"));
        if (json.containsKey("outbox_attempts_max")) outboxAttemptsMax(json.getInteger("outbox_attempts_max"));
        if (json.containsKey("outbox_lease_ms")) outboxLeaseMs(json.getLong("outbox_lease_ms"));
        if (json.containsKey("outbox_backoff_base_ms")) outboxBackoffBaseMs(json.getLong("outbox_backoff_base_ms"));
        if (json.containsKey("outbox_backoff_max_ms")) outboxBackoffMaxMs(json.getLong("outbox_backoff_max_ms"));
        if (json.containsKey("sandbox_chaos")) sandboxChaos(json.getBoolean("sandbox_chaos"));
        if (json.containsKey("sandbox_notice_delay_ms")) sandboxNoticeDelayMs(json.getLong("sandbox_notice_delay_ms"));
        if (json.containsKey("reservation_grace_seconds")) {
          reservationGraceSeconds(json.getLong("reservation_grace_seconds"));
        }
        if (json.containsKey("workers")) workers(json.getBoolean("workers"));
        if (json.containsKey("instance_beat_ms")) instanceBeatMs(json.getLong("instance_beat_ms"));
        if (json.containsKey("instance_lease_ms")) instanceLeaseMs(json.getLong("instance_lease_ms"));
        if (json.containsKey("payment_poll_after_ms")) paymentPollAfterMs(json.getLong("payment_poll_after_ms"));
        if (json.containsKey("payment_poll_interval_ms")) {
          paymentPollIntervalMs(json.getLong("payment_poll_interval_ms"));
        }
      } catch (ClassCastException e) {
        throw new IllegalArgumentException("an engine config value has the wrong JSON type: " + e.getMessage());
      }
      return this;
    }

    public EngineConfig build() {
      if (instanceLeaseMs < 2 * instanceBeatMs) {
        throw new IllegalArgumentException("instance lease ms must be at least two beats (" + 2 * instanceBeatMs
            + "), but was " + instanceLeaseMs);
      }
      if (outboxBackoffMaxMs < outboxBackoffBaseMs) {
        throw new IllegalArgumentException("outbox backoff max ms must be at least the base ("
            + outboxBackoffBaseMs + "), but was " + outboxBackoffMaxMs);
      }
      return new EngineConfig(this);
    }
  }
}
