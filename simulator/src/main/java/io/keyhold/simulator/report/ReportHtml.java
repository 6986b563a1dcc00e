package io.keyhold.simulator.report;

import io.keyhold.simulator.audit.Violation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a {@link RunReport} as one self-contained HTML page: inline CSS and inline SVG charts
 * (throughput over time, latency percentiles per phase, outcomes), the audit and the settings. No
 * script, no stylesheet link, nothing fetched: the page opens the same offline, years later.
 */
public final class ReportHtml {
  static final int CHART_WIDTH = 880;
  static final int CHART_HEIGHT = 260;
  static final int MARGIN_LEFT = 170;
  static final int MARGIN_RIGHT = 20;
  static final int MARGIN_TOP = 20;
  static final int MARGIN_BOTTOM = 40;
  private static final String[] SERIES_COLOURS = {"#4c78a8", "#54a24b", "#e45756", "#f58518", "#b279a2"};
  private static final String[] PERCENTILE_COLOURS = {"#9ecae9", "#4c78a8", "#1f3b73"};

  private ReportHtml() {}

  public static String render(RunReport report) {
    StringBuilder html = new StringBuilder(32 * 1024);
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>Keyhold simulator: ").append(escape(report.config().getString("profile"))).append("</title>\n")
        .append("<style>\n")
        .append("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:940px;color:#222}\n")
        .append("h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}\n")
        .append("table{border-collapse:collapse;font-size:.9em}td,th{padding:.25em .7em;border-bottom:1px solid #eee;")
        .append("text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\n")
        .append(".ok{color:#1a7f37;font-weight:bold}.bad{color:#c62828;font-weight:bold}\n")
        .append("svg text{font-size:11px;fill:#333}code{font-size:.85em}\n")
        .append("</style>\n</head>\n<body>\n");
    html.append("<h1>Keyhold simulator report: ").append(escape(report.config().getString("profile")))
        .append("</h1>\n<p>Started ").append(escape(report.startedAt().toString())).append(", against ")
        .append(escape(report.target())).append(String.format(Locale.ROOT, ", %d buyers, seed %s; payments: ",
            report.buyers(), escape(String.valueOf(report.config().getValue("seed")))))
        .append(escape(report.paymentRail())).append(".</p>\n");
    html.append(report.audit().ok()
        ? "<p class=\"ok\">Audit passed: no invariant broken.</p>\n"
        : "<p class=\"bad\">Audit failed: " + report.audit().violations().size()
            + " violation(s), listed below.</p>\n");
    for (String failure : report.failures()) {
      html.append("<p class=\"bad\">Run failed: ").append(escape(failure)).append("</p>\n");
    }
    html.append(String.format(Locale.ROOT, "<table><tr><td>run</td><td class=\"n\">%.1f s</td></tr>"
            + "<tr><td>completed lifecycles</td><td class=\"n\">%d</td></tr>"
            + "<tr><td>lifecycles / s</td><td class=\"n\">%.2f</td></tr>"
            + "<tr><td>checkouts / s</td><td class=\"n\">%.2f</td></tr>"
            + "<tr><td>peak buyers in flight</td><td class=\"n\">%d</td></tr></table>\n",
        report.runMs() / 1000.0, report.completedLifecycles(), report.lifecyclesPerSecond(),
        report.checkoutsPerSecond(), report.inFlightPeak()));

    html.append("<h2>Throughput over time</h2>\n").append(throughputChart(report.series()));
    html.append("<h2>Latency per phase (p50, p90, p99; log scale)</h2>\n").append(latencyChart(report.phases()));
    html.append(phaseTable(report.phases()));
    html.append("<h2>Outcomes</h2>\n").append(outcomeChart(report.outcomes()));
    if (report.accountability() != null) {
      html.append("<h2>Shops held to account</h2>\n").append(accountabilitySection(report.accountability()));
    }
    html.append("<h2>Audit</h2>\n").append(auditSection(report));
    html.append("<h2>Settings</h2>\n<pre><code>").append(escape(report.config().encodePrettily()))
        .append("</code></pre>\n");
    if (!report.notes().isEmpty()) {
      html.append("<h2>Notes</h2>\n<ul>\n");
      report.notes().forEach(note -> html.append("<li>").append(escape(note)).append("</li>\n"));
      html.append("</ul>\n");
    }
    html.append("</body>\n</html>\n");
    return html.toString();
  }

  static String throughputChart(JsonObject series) {
    List<String> names = new ArrayList<>();
    List<int[]> values = new ArrayList<>();
    for (RunMetrics.Series name : RunMetrics.Series.values()) {
      JsonArray array = series.getJsonArray(name.code(), new JsonArray());
      int[] data = new int[array.size()];
      for (int i = 0; i < data.length; i++) {
        data[i] = array.getInteger(i);
      }
      names.add(name.code());
      values.add(data);
    }
    int seconds = values.stream().mapToInt(v -> v.length).max().orElse(0);
    int peak = values.stream().flatMapToInt(java.util.Arrays::stream).max().orElse(0);
    int left = 60;
    int plotWidth = CHART_WIDTH - left - MARGIN_RIGHT;
    int plotHeight = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
    double yMax = niceCeiling(Math.max(1, peak));
    StringBuilder svg = svgOpen("Per-second counts: " + String.join(", ", names));
    axes(svg, left, plotWidth, plotHeight);
    for (int tick = 0; tick <= 4; tick++) {
      double value = yMax * tick / 4;
      double y = MARGIN_TOP + plotHeight - plotHeight * tick / 4.0;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left, y, left + plotWidth, y, left - 6,
          y + 4, format(value)));
    }
    int xTicks = Math.max(1, Math.min(10, seconds));
    for (int tick = 0; tick <= xTicks; tick++) {
      double second = (double) Math.max(1, seconds) * tick / xTicks;
      double x = left + plotWidth * tick / (double) xTicks;
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f s</text>%n", x,
          MARGIN_TOP + plotHeight + 16, second));
    }
    for (int s = 0; s < values.size(); s++) {
      int[] data = values.get(s);
      if (data.length == 0) {
        continue;
      }
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < data.length; i++) {
        double x = left + plotWidth * (i + 0.5) / Math.max(1, seconds);
        double y = MARGIN_TOP + plotHeight - plotHeight * data[i] / yMax;
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      String colour = SERIES_COLOURS[s % SERIES_COLOURS.length];
      svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(colour)
          .append("\" points=\"").append(points.toString().trim()).append("\"/>\n");
      int legendX = left + 10 + s * 130;
      svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"%d\">%s / s</text>%n", legendX, CHART_HEIGHT - 14, colour,
          legendX + 14, CHART_HEIGHT - 5, escape(names.get(s))));
    }
    return svg.append("</svg>\n").toString();
  }

  static String latencyChart(List<PhaseStats> phases) {
    int rowHeight = 42;
    int height = MARGIN_TOP + phases.size() * rowHeight + MARGIN_BOTTOM;
    int plotWidth = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    double maxMs = phases.stream().mapToDouble(PhaseStats::p99Ms).max().orElse(1);
    // Log scale from 0.1 ms to the next power of ten above the largest p99: phases differ by orders of magnitude.
    double lowLog = -1;
    double highLog = Math.max(lowLog + 1, Math.ceil(Math.log10(Math.max(1, maxMs))));
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">"
        + "<title>Latency percentiles per phase</title>%n", CHART_WIDTH, height, CHART_WIDTH, height));
    for (double decade = lowLog; decade <= highLog; decade++) {
      double x = MARGIN_LEFT + plotWidth * (decade - lowLog) / (highLog - lowLog);
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
          + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, MARGIN_TOP, x,
          height - MARGIN_BOTTOM, x, height - MARGIN_BOTTOM + 16, duration(Math.pow(10, decade))));
    }
    String[] labels = {"p50", "p90", "p99"};
    for (int row = 0; row < phases.size(); row++) {
      PhaseStats stats = phases.get(row);
      double[] values = {stats.p50Ms(), stats.p90Ms(), stats.p99Ms()};
      int top = MARGIN_TOP + row * rowHeight;
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s (%d)</text>%n",
          MARGIN_LEFT - 8, top + 20, escape(stats.phase().label()), stats.count()));
      for (int p = 0; p < values.length; p++) {
        double clamped = Math.max(Math.pow(10, lowLog), values[p]);
        double width = stats.count() == 0 ? 0
            : plotWidth * (Math.log10(clamped) - lowLog) / (highLog - lowLog);
        int y = top + 4 + p * 11;
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"%s\">"
                + "<title>%s %s: %s ms</title></rect>%n", MARGIN_LEFT, y, Math.max(0, width), PERCENTILE_COLOURS[p],
            escape(stats.phase().label()), labels[p], format(values[p])));
        if (stats.count() > 0) {
          svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s %s ms</text>%n",
              MARGIN_LEFT + Math.max(0, width) + 4, y + 9, labels[p], format(values[p])));
        }
      }
    }
    return svg.append("</svg>\n").toString();
  }

  static String outcomeChart(Map<Outcome, Integer> outcomes) {
    List<Outcome> shown = new ArrayList<>();
    for (Outcome outcome : Outcome.values()) {
      if (outcomes.getOrDefault(outcome, 0) > 0) {
        shown.add(outcome);
      }
    }
    int rowHeight = 22;
    int height = MARGIN_TOP + Math.max(1, shown.size()) * rowHeight + 10;
    int plotWidth = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT - 60;
    int max = shown.stream().mapToInt(o -> outcomes.get(o)).max().orElse(1);
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">"
        + "<title>Buyers by outcome</title>%n", CHART_WIDTH, height, CHART_WIDTH, height));
    for (int row = 0; row < shown.size(); row++) {
      Outcome outcome = shown.get(row);
      int count = outcomes.get(outcome);
      int y = MARGIN_TOP + row * rowHeight;
      double width = plotWidth * count / (double) max;
      String colour = outcome.completedLifecycle() ? "#54a24b" : outcome == Outcome.SOLD_OUT ? "#bab0ac" : "#e45756";
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
              + "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>"
              + "<text x=\"%.1f\" y=\"%d\">%d</text>%n", MARGIN_LEFT - 8, y + 12, escape(outcome.code()), MARGIN_LEFT,
          y, Math.max(1, width), colour, MARGIN_LEFT + Math.max(1, width) + 4, y + 12, count));
    }
    if (shown.isEmpty()) {
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">no buyers</text>%n", MARGIN_LEFT,
          MARGIN_TOP + 12));
    }
    return svg.append("</svg>\n").toString();
  }

  private static String phaseTable(List<PhaseStats> phases) {
    StringBuilder table = new StringBuilder("<table><tr><th>phase</th><th>count</th><th>p50 ms</th><th>p90 ms</th>"
        + "<th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>mean ms</th></tr>\n");
    for (PhaseStats s : phases) {
      table.append(String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%s</td>"
              + "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
              + "<td class=\"n\">%s</td></tr>%n", escape(s.phase().label()), s.count(), format(s.p50Ms()),
          format(s.p90Ms()), format(s.p99Ms()), format(s.p999Ms()), format(s.maxMs()), format(s.meanMs())));
    }
    return table.append("</table>\n").toString();
  }

  private static String accountabilitySection(Accountability accountability) {
    StringBuilder html = new StringBuilder();
    html.append(String.format(Locale.ROOT, "<table><tr><td>orders compensated</td><td class=\"n\">%d</td></tr>"
            + "<tr><td>compensation paid from deposits (minor units; the gateway's ledger)</td>"
            + "<td class=\"n\">%d (%d)</td></tr>"
            + "<tr><td>compensation owed, not covered by the deposit</td><td class=\"n\">%d</td></tr>"
            + "<tr><td>orders moved to a backup source</td><td class=\"n\">%d</td></tr>"
            + "<tr><td>orders saved by the backup (keys, not a refund)</td><td class=\"n\">%d</td></tr></table>%n",
        accountability.ordersCompensated(), accountability.compensationsMinor(),
        accountability.gatewayCompensationsMinor(), accountability.unpaidMinor(), accountability.ordersSwitched(),
        accountability.ordersSavedByBackup()));
    html.append("<table><tr><th>shop</th><th>role</th><th>merchant</th><th>reliability</th></tr>\n");
    for (Accountability.ShopScore score : accountability.scores()) {
      html.append("<tr><td class=\"n\">").append(score.shop()).append("</td><td>").append(escape(score.role()))
          .append("</td><td><code>").append(escape(score.merchantId())).append("</code></td><td>")
          .append(escape(score.describe())).append("</td></tr>\n");
    }
    html.append("</table>\n");
    return html.toString();
  }

  private static String auditSection(RunReport report) {
    StringBuilder html = new StringBuilder();
    var totals = report.audit().totals();
    html.append(String.format(Locale.ROOT, "<p>Books (minor units): paid %d = released %d + refunded %d + held %d: "
            + "<span class=\"%s\">%s</span></p>%n", totals.paid(), totals.released(), totals.refunded(), totals.held(),
        totals.balanced() ? "ok" : "bad", totals.balanced() ? "balanced" : "not balanced"));
    if (report.audit().ok()) {
      html.append("<p class=\"ok\">No violation.</p>\n");
    } else {
      html.append("<table><tr><th>violation</th><th>what</th><th>orders</th></tr>\n");
      for (Violation violation : report.audit().violations()) {
        html.append("<tr><td><code>").append(escape(violation.code())).append("</code></td><td>")
            .append(escape(violation.detail())).append("</td><td>");
        for (String order : violation.orderIds()) {
          html.append("<code>").append(escape(order)).append("</code> ");
        }
        if (violation.orderCount() > violation.orderIds().size()) {
          html.append("and ").append(violation.orderCount() - violation.orderIds().size()).append(" more");
        }
        html.append("</td></tr>\n");
      }
      html.append("</table>\n");
    }
    JsonObject gateway = report.audit().gatewayAnswer();
    if (gateway != null) {
      html.append("<p>The gateway's own audit:</p>\n<pre><code>").append(escape(gateway.encodePrettily()))
          .append("</code></pre>\n");
    }
    return html.toString();
  }

  private static StringBuilder svgOpen(String title) {
    return new StringBuilder().append(String.format(Locale.ROOT,
        "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>%s</title>%n", CHART_WIDTH,
        CHART_HEIGHT, CHART_WIDTH, CHART_HEIGHT, escape(title)));
  }

  private static void axes(StringBuilder svg, int left, int plotWidth, int plotHeight) {
    svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
            + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>%n", left, MARGIN_TOP, left,
        MARGIN_TOP + plotHeight, left, MARGIN_TOP + plotHeight, left + plotWidth, MARGIN_TOP + plotHeight));
  }

  /** The smallest of 1, 2, 5 times a power of ten that is at least {@code value}. */
  static double niceCeiling(double value) {
    double power = Math.pow(10, Math.floor(Math.log10(value)));
    for (double step : new double[] {1, 2, 5, 10}) {
      if (step * power >= value) {
        return step * power;
      }
    }
    return 10 * power;
  }

  /** A decade of the log axis: {@code 0.1 ms}, {@code 10 ms}, {@code 1 s}, {@code 100 s}. */
  static String duration(double ms) {
    return ms >= 1000 ? format(ms / 1000) + " s" : format(ms) + " ms";
  }

  static String format(double value) {
    if (value >= 100 || value == Math.rint(value)) {
      return String.format(Locale.ROOT, "%.0f", value);
    }
    return value >= 1 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.2f", value);
  }

  static String escape(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
