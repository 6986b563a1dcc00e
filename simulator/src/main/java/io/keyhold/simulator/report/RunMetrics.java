package io.keyhold.simulator.report;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * What a run measures while it runs: latency per {@link Phase} (HdrHistogram, microseconds, 3
 * significant digits), per-second counts (arrivals, checkouts, sold out, completed lifecycles,
 * failures), outcomes, and orders by their last known state.
 *
 * <p>Not thread-safe: updated on the simulation's event-loop context; read after the run, or
 * through {@link #snapshot()} made on that context.
 */
public final class RunMetrics {
  public static final long HIGHEST_MICROS = 3_600_000_000L;
  public static final int SIGNIFICANT_DIGITS = 3;
  /** Enough seconds for the longest run the config allows (arrivals, drain, audit) and then some. */
  public static final int SERIES_SECONDS_MAX = 8_000;
  /** The window of the live rate. */
  public static final int RATE_WINDOW_SECONDS = 5;

  /** The per-second series, by name. */
  public enum Series {
    ARRIVALS("arrivals"),
    CHECKOUTS("checkouts"),
    SOLD_OUT("sold_out"),
    /** Buyers first answered out of stock while unpaid checkouts still held keys of the SKU (some may come back). */
    SOLD_OUT_WHILE_HELD("sold_out_while_held"),
    /** Buyers told sold out who looked again later for keys unpaid checkouts gave back (each look counted). */
    CAME_BACK("came_back"),
    /** Checkouts placed by buyers who looked again: keys unpaid checkouts gave back, sold after all. */
    BOUGHT_ON_COMING_BACK("bought_on_coming_back"),
    COMPLETED("completed"),
    FAILED("failed");

    private final String code;

    Series(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final LongSupplier nowMs;
  private final long startMs;
  private final int buyers;
  private final EnumMap<Phase, Histogram> histograms = new EnumMap<>(Phase.class);
  private final EnumMap<Series, int[]> series = new EnumMap<>(Series.class);
  private final EnumMap<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
  private final Map<String, Integer> states = new TreeMap<>();
  private int lastSecond;
  private int arrived;
  private int inFlight;
  private int inFlightPeak;

  public RunMetrics(LongSupplier nowMs, long startMs, int buyers, int seriesSeconds) {
    if (seriesSeconds < 1 || seriesSeconds > SERIES_SECONDS_MAX) {
      throw new IllegalArgumentException("series seconds must be between 1 and " + SERIES_SECONDS_MAX + ", but was "
          + seriesSeconds);
    }
    this.nowMs = nowMs;
    this.startMs = startMs;
    this.buyers = buyers;
    for (Phase phase : Phase.values()) {
      histograms.put(phase, new Histogram(HIGHEST_MICROS, SIGNIFICANT_DIGITS));
    }
    for (Series name : Series.values()) {
      series.put(name, new int[seriesSeconds]);
    }
  }

  public long startMs() {
    return startMs;
  }

  public long elapsedMs() {
    return nowMs.getAsLong() - startMs;
  }

  /** Records one sample of a phase; negative durations (clock skew between hosts) count as 0. */
  public void record(Phase phase, long micros) {
    histograms.get(phase).recordValue(Math.max(0, Math.min(HIGHEST_MICROS, micros)));
  }

  public void recordMs(Phase phase, long millis) {
    record(phase, millis * 1000);
  }

  public void count(Series name) {
    int second = (int) Math.max(0, Math.min(series.get(name).length - 1, elapsedMs() / 1000));
    series.get(name)[second]++;
    lastSecond = Math.max(lastSecond, second);
  }

  public void arrived() {
    arrived++;
    count(Series.ARRIVALS);
  }

  public void started() {
    inFlight++;
    inFlightPeak = Math.max(inFlightPeak, inFlight);
  }

  public void finished(Outcome outcome) {
    inFlight--;
    assert inFlight >= 0 : "more buyers finished than started";
    outcomes.merge(outcome, 1, Integer::sum);
    if (outcome.completedLifecycle()) {
      count(Series.COMPLETED);
    } else if (outcome == Outcome.SOLD_OUT) {
      count(Series.SOLD_OUT);
    } else if (outcome == Outcome.ERROR || outcome == Outcome.OVERLOADED || outcome == Outcome.REJECTED) {
      count(Series.FAILED);
    }
  }

  /** An order moved from {@code from} (null for a new order) to {@code to} as far as the simulator saw. */
  public void stateChanged(String from, String to) {
    if (from != null && from.equals(to)) {
      return;
    }
    if (from != null) {
      states.merge(from, -1, Integer::sum);
      if (states.get(from) <= 0) {
        states.remove(from);
      }
    }
    states.merge(to, 1, Integer::sum);
  }

  public int inFlight() {
    return inFlight;
  }

  public int inFlightPeak() {
    return inFlightPeak;
  }

  public Map<Outcome, Integer> outcomes() {
    return new EnumMap<>(outcomes);
  }

  public Map<String, Integer> states() {
    return new TreeMap<>(states);
  }

  public PhaseStats stats(Phase phase) {
    return PhaseStats.of(phase, histograms.get(phase));
  }

  /** The per-second counts up to the last second anything was counted. */
  public int[] series(Series name) {
    return java.util.Arrays.copyOf(series.get(name), lastSecond + 1);
  }

  public int total(Series name) {
    int sum = 0;
    for (int value : series.get(name)) {
      sum += value;
    }
    return sum;
  }

  public ProgressSnapshot snapshot() {
    long elapsed = elapsedMs();
    int nowSecond = (int) Math.max(0, Math.min(SERIES_SECONDS_MAX - 1, elapsed / 1000));
    int[] completed = series.get(Series.COMPLETED);
    // Whole seconds only: the current second is still filling.
    int from = Math.max(0, nowSecond - RATE_WINDOW_SECONDS);
    int sum = 0;
    for (int s = from; s < Math.min(nowSecond, completed.length); s++) {
      sum += completed[s];
    }
    int window = Math.max(1, nowSecond - from);
    int failed = outcomes.getOrDefault(Outcome.ERROR, 0) + outcomes.getOrDefault(Outcome.OVERLOADED, 0)
        + outcomes.getOrDefault(Outcome.REJECTED, 0);
    return new ProgressSnapshot(elapsed, arrived, buyers, inFlight, states, outcomes.getOrDefault(Outcome.SOLD_OUT, 0),
        failed, (double) sum / window, p99Ms(Phase.CHECKOUT), p99Ms(Phase.LIFECYCLE));
  }

  /**
   * The phase's p99 alone: a snapshot is taken every quarter second on the simulation's event loop, and each of
   * {@link PhaseStats}'s percentiles and its mean walks the whole histogram.
   */
  private double p99Ms(Phase phase) {
    Histogram micros = histograms.get(phase);
    return micros.getTotalCount() == 0 ? 0 : PhaseStats.ms(micros.getValueAtPercentile(99));
  }

  /** The per-second series as JSON arrays. */
  public JsonObject seriesJson() {
    JsonObject json = new JsonObject();
    for (Series name : Series.values()) {
      JsonArray values = new JsonArray();
      for (int value : series(name)) {
        values.add(value);
      }
      json.put(name.code(), values);
    }
    return json;
  }
}
