package io.keyhold.simulator.report;

import io.keyhold.simulator.audit.AuditResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything a run reports: what was run, what happened, how fast, and the audit. Written as
 * {@code report.json} ({@link #toJson()}), {@code report.html} ({@link ReportHtml}) and the console
 * summary ({@link ConsoleSummary}).
 *
 * @param config the run's settings
 * @param target where the gateway was ({@code embedded ...} or its URL)
 * @param startedAt when the buyers' part began
 * @param runMs how long the buyers' part took
 * @param buyers buyers in the run
 * @param outcomes buyers by outcome
 * @param states orders by their last known state
 * @param phases latency per phase
 * @param series per-second counts (JSON arrays by series name)
 * @param lifecyclesPerSecond completed lifecycles per second, from the first arrival to the last completion
 * @param checkoutsPerSecond orders placed per second over the arrival window
 * @param inFlightPeak most buyers in flight at once
 * @param answers gateway answers by operation and status
 * @param retries calls sent again, by reason (the client's {@code RetryReason} codes)
 * @param audit the audit
 * @param violatingOrders the books of the orders named by violations
 * @param notes remarks on the run (what could not be done, and why)
 * @param failures why the run itself failed to rehearse (too many buyers failed, nothing completed)
 * @param accountability compensation, backups and scores, for a run that sets them up; else null
 */
public record RunReport(JsonObject config, String target, Instant startedAt, long runMs, int buyers,
    Map<Outcome, Integer> outcomes, Map<String, Integer> states, List<PhaseStats> phases, JsonObject series,
    double lifecyclesPerSecond, double checkoutsPerSecond, int inFlightPeak, Map<String, Long> answers,
    Map<String, Long> retries, AuditResult audit, List<JsonObject> violatingOrders, List<String> notes, List<String> failures,
    Accountability accountability) {
  /** The audit found a violation. */
  public static final int EXIT_VIOLATION = 1;
  /** The run could not rehearse: setup failed, or too many buyers failed to get through. */
  public static final int EXIT_RUN_FAILED = 3;

  public RunReport {
    outcomes = Map.copyOf(outcomes);
    states = Map.copyOf(states);
    phases = List.copyOf(phases);
    answers = Map.copyOf(answers);
    retries = Map.copyOf(retries);
    violatingOrders = List.copyOf(violatingOrders);
    notes = List.copyOf(notes);
    failures = List.copyOf(failures);
  }

  /** The sum of the per-second series {@code name}; 0 when the run has none. */
  public long seriesTotal(RunMetrics.Series name) {
    JsonArray values = series.getJsonArray(name.code());
    long total = 0;
    for (int i = 0; values != null && i < values.size(); i++) {
      total += values.getInteger(i);
    }
    return total;
  }

  /**
   * 0 when the run rehearsed and the audit passed; {@value #EXIT_VIOLATION} on a violation; else
   * {@value #EXIT_RUN_FAILED}.
   */
  public int exitCode() {
    if (!audit.ok()) {
      return EXIT_VIOLATION;
    }
    return failures.isEmpty() ? 0 : EXIT_RUN_FAILED;
  }

  public int completedLifecycles() {
    return outcomes.entrySet().stream().filter(e -> e.getKey().completedLifecycle()).mapToInt(Map.Entry::getValue)
        .sum();
  }

  /** Answers with HTTP status {@code status}, over every operation. */
  public long answersWithStatus(int status) {
    String suffix = " " + status;
    return answers.entrySet().stream().filter(e -> e.getKey().endsWith(suffix)).mapToLong(Map.Entry::getValue).sum();
  }

  /**
   * How the buyers paid, as the report says it: {@code sandbox}, or {@code epay} with the site's notice faults
   * ({@code epay (site faults: repeat, reorder)}).
   */
  public String paymentRail() {
    JsonObject payments = config.getJsonObject("payments");
    if (payments == null) {
      return "sandbox";
    }
    String rail = payments.getString("rail", "sandbox");
    JsonArray faults = payments.getJsonArray("epay_faults");
    if (faults == null) {
      return rail;
    }
    return rail + (faults.isEmpty() ? " (site faults: none)" : " (site faults: " + String.join(", ",
        faults.stream().map(String::valueOf).toList()) + ")");
  }

  public PhaseStats phase(Phase phase) {
    return phases.stream().filter(stats -> stats.phase() == phase).findFirst()
        .orElse(new PhaseStats(phase, 0, 0, 0, 0, 0, 0, 0));
  }

  public JsonObject toJson() {
    JsonObject outcomeJson = new JsonObject();
    for (Outcome outcome : Outcome.values()) {
      outcomeJson.put(outcome.code(), outcomes.getOrDefault(outcome, 0));
    }
    JsonObject stateJson = new JsonObject();
    new java.util.TreeMap<>(states).forEach(stateJson::put);
    JsonArray phaseJson = new JsonArray();
    phases.forEach(stats -> phaseJson.add(stats.toJson()));
    JsonObject answerJson = new JsonObject();
    new java.util.TreeMap<>(answers).forEach(answerJson::put);
    JsonObject retryJson = new JsonObject();
    new java.util.TreeMap<>(retries).forEach(retryJson::put);
    return new JsonObject()
        .put("ok", exitCode() == 0)
        .put("audit_ok", audit.ok())
        .put("exit_code", exitCode())
        .put("config", config)
        .put("target", target)
        .put("payments", paymentRail())
        .put("started_at", startedAt.toString())
        .put("run_ms", runMs)
        .put("buyers", buyers)
        .put("completed_lifecycles", completedLifecycles())
        .put("lifecycles_per_second", round(lifecyclesPerSecond))
        .put("checkouts_per_second", round(checkoutsPerSecond))
        .put("in_flight_peak", inFlightPeak)
        .put("outcomes", outcomeJson)
        .put("orders_by_state", stateJson)
        .put("phases", phaseJson)
        .put("series_per_second", series)
        .put("gateway_answers", answerJson)
        .put("retries_by_reason", retryJson)
        .put("audit", audit.toJson())
        .put("violating_orders", new JsonArray(violatingOrders))
        .put("notes", new JsonArray(notes))
        .put("failures", new JsonArray(failures))
        .put("accountability", accountability == null ? null : accountability.toJson());
  }

  static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }
}
