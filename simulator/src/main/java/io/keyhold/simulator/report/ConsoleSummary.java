package io.keyhold.simulator.report;

import io.keyhold.simulator.audit.Violation;
import java.util.Locale;
import java.util.Map;

/** The summary printed at the end of a run. */
public final class ConsoleSummary {
  private ConsoleSummary() {}

  public static String render(RunReport report) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%nKeyhold simulator: %s, %d buyers, seed %s, against %s%n",
        report.config().getString("profile"), report.buyers(), report.config().getValue("seed"), report.target()));
    out.append("  payments: ").append(report.paymentRail()).append('\n');
    out.append(String.format(Locale.ROOT, "  run %.1f s; %d lifecycles completed, %.2f lifecycles/s; %.2f checkouts/s;"
        + " peak in flight %d%n", report.runMs() / 1000.0, report.completedLifecycles(), report.lifecyclesPerSecond(),
        report.checkoutsPerSecond(), report.inFlightPeak()));
    out.append("  outcomes:");
    for (Outcome outcome : Outcome.values()) {
      int count = report.outcomes().getOrDefault(outcome, 0);
      if (count > 0) {
        out.append(' ').append(outcome.code()).append(' ').append(count);
      }
    }
    long soldOutWhileHeld = report.seriesTotal(RunMetrics.Series.SOLD_OUT_WHILE_HELD);
    long cameBack = report.seriesTotal(RunMetrics.Series.CAME_BACK);
    if (soldOutWhileHeld > 0) {
      out.append(String.format(Locale.ROOT, " (%d buyers told sold out while unpaid checkouts still held keys;"
          + " %d looks again, %d checkouts placed by them)", soldOutWhileHeld, cameBack,
          report.seriesTotal(RunMetrics.Series.BOUGHT_ON_COMING_BACK)));
    }
    out.append(String.format("%n  orders by state:"));
    for (Map.Entry<String, Integer> state : new java.util.TreeMap<>(report.states()).entrySet()) {
      out.append(' ').append(state.getKey()).append(' ').append(state.getValue());
    }
    out.append(String.format(Locale.ROOT, "%n  %-20s %8s %10s %10s %10s %10s%n", "phase", "count", "p50 ms", "p90 ms",
        "p99 ms", "max ms"));
    for (PhaseStats stats : report.phases()) {
      out.append(String.format(Locale.ROOT, "  %-20s %8d %10.1f %10.1f %10.1f %10.1f%n", stats.phase().code(),
          stats.count(), stats.p50Ms(), stats.p90Ms(), stats.p99Ms(), stats.maxMs()));
    }
    out.append(String.format(Locale.ROOT, "  server errors (500) answered: %d; retries:", report.answersWithStatus(500)));
    if (report.retries().isEmpty()) {
      out.append(" none");
    }
    for (Map.Entry<String, Long> retry : new java.util.TreeMap<>(report.retries()).entrySet()) {
      out.append(' ').append(retry.getKey()).append(' ').append(retry.getValue());
    }
    out.append('\n');
    out.append(String.format(Locale.ROOT, "  books: paid %d, released %d, refunded %d, held %d (minor units)%n",
        report.audit().totals().paid(), report.audit().totals().released(), report.audit().totals().refunded(),
        report.audit().totals().held()));
    Accountability accountability = report.accountability();
    if (accountability != null) {
      out.append(String.format(Locale.ROOT, "  compensation: %d order(s) paid %d from deposits (ledger %d), %d owed"
              + " unpaid; backup: %d order(s) moved, %d saved (keys, not a refund)%n", accountability.ordersCompensated(),
          accountability.compensationsMinor(), accountability.gatewayCompensationsMinor(), accountability.unpaidMinor(),
          accountability.ordersSwitched(), accountability.ordersSavedByBackup()));
      for (Accountability.ShopScore score : accountability.scores()) {
        out.append(String.format(Locale.ROOT, "  reliability: shop %d (%s, %s): %s%n", score.shop(), score.role(),
            score.merchantId(), score.describe()));
      }
    }
    if (report.audit().ok()) {
      out.append("  AUDIT PASSED: no invariant broken.\n");
    } else {
      out.append(String.format("  AUDIT FAILED: %d violation(s)%n", report.audit().violations().size()));
      for (Violation violation : report.audit().violations()) {
        out.append("    - ").append(violation.code()).append(": ").append(violation.detail());
        if (!violation.orderIds().isEmpty()) {
          out.append(" orders ").append(violation.orderIds().subList(0, Math.min(10, violation.orderIds().size())));
          if (violation.orderCount() > 10) {
            out.append(" and ").append(violation.orderCount() - 10).append(" more (see report.json)");
          }
        }
        out.append('\n');
      }
    }
    for (String failure : report.failures()) {
      out.append("  RUN FAILED: ").append(failure).append('\n');
    }
    for (String note : report.notes()) {
      out.append("  note: ").append(note).append('\n');
    }
    return out.toString();
  }
}
