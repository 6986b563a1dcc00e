package io.keyhold.simulator.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.Profile;
import io.keyhold.simulator.SimulationConfig;
import io.keyhold.simulator.audit.AuditResult;
import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.audit.Violation;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
  private final AtomicLong clock = new AtomicLong(1_000_000);

  private RunReport report(List<Violation> violations) {
    RunMetrics metrics = new RunMetrics(clock::get, clock.get(), 3, 120);
    for (int second = 0; second < 3; second++) {
      clock.set(1_000_000 + second * 1000L + 10);
      metrics.arrived();
      metrics.started();
      metrics.record(Phase.CHECKOUT, 4_000 + second * 1_000);
      metrics.recordMs(Phase.PAY_TO_FUNDED, 40);
      metrics.recordMs(Phase.FUNDED_TO_READY, 120);
      metrics.recordMs(Phase.READY_TO_RELEASED, 900);
      metrics.recordMs(Phase.LIFECYCLE, 1_500);
      metrics.count(RunMetrics.Series.CHECKOUTS);
      metrics.stateChanged(null, "awaiting_payment");
      metrics.stateChanged("awaiting_payment", second == 2 ? "refunded" : "released");
      metrics.finished(second == 2 ? Outcome.SOLD_OUT : Outcome.RELEASED);
    }
    List<PhaseStats> phases = new ArrayList<>();
    for (Phase phase : Phase.values()) {
      phases.add(metrics.stats(phase));
    }
    AuditResult audit = new AuditResult(violations, new JsonObject().put("ok", violations.isEmpty()),
        new Books.Totals(3_000, 2_000, 1_000, 0));
    return new RunReport(SimulationConfig.builder(Profile.FLASH_SALE).build().toJson(),
        "embedded gateway at http://127.0.0.1:1234 <test>", Instant.parse("2026-11-22T10:00:00Z"), 3_000, 3,
        metrics.outcomes(), metrics.states(), phases, metrics.seriesJson(), 1.0, 1.0, metrics.inFlightPeak(),
        Map.of("createCheckout 201", 3L, "getOrder 500", 2L, "createCheckout 500", 1L),
        Map.of("connection_refused", 4L, "status_500", 2L), audit, List.of(new JsonObject().put("order_id", "ord_2")),
        List.of("a note <b>"), List.of(), null);
  }

  @Test
  void theJsonReportHoldsThePhasesOutcomesSeriesAndAudit(@TempDir Path dir) throws Exception {
    ReportFiles.write(dir, report(List.of()));

    JsonObject json = new JsonObject(Files.readString(dir.resolve(ReportFiles.JSON)));
    assertThat(json.getBoolean("ok")).isTrue();
    assertThat(json.getInteger("exit_code")).isZero();
    assertThat(json.getJsonObject("config").getString("profile")).isEqualTo("flash-sale");
    assertThat(json.getJsonObject("outcomes").getInteger("released")).isEqualTo(2);
    assertThat(json.getJsonObject("outcomes").getInteger("sold_out")).isEqualTo(1);
    assertThat(json.getJsonObject("orders_by_state").getInteger("released")).isEqualTo(2);
    JsonObject checkout = json.getJsonArray("phases").getJsonObject(0);
    assertThat(checkout.getString("phase")).isEqualTo("checkout");
    assertThat(checkout.getLong("count")).isEqualTo(3);
    assertThat(checkout.getDouble("p50_ms")).isCloseTo(5.0, org.assertj.core.data.Offset.offset(0.01));
    assertThat(json.getJsonObject("series_per_second").getJsonArray("completed")).containsExactly(1, 1, 0);
    assertThat(json.getJsonObject("audit").getJsonObject("books").getBoolean("balanced")).isTrue();
  }

  @Test
  void theGatewaysWaitingRoomIsAPhaseOfEveryReport(@TempDir Path dir) throws Exception {
    RunReport report = report(List.of());
    ReportFiles.write(dir, report);

    JsonObject json = new JsonObject(Files.readString(dir.resolve(ReportFiles.JSON)));
    assertThat(json.getJsonArray("phases").stream().map(phase -> ((JsonObject) phase).getString("phase")))
        .contains("waiting_room", "admission_wait");
    assertThat(Files.readString(dir.resolve(ReportFiles.HTML), StandardCharsets.UTF_8))
        .contains(Phase.WAITING_ROOM.label());
    assertThat(ConsoleSummary.render(report)).contains("waiting_room");
  }

  @Test
  void theReportCountsRetriesByReasonAndServerErrors(@TempDir Path dir) throws Exception {
    RunReport report = report(List.of());
    ReportFiles.write(dir, report);

    JsonObject json = new JsonObject(Files.readString(dir.resolve(ReportFiles.JSON)));
    JsonObject retries = json.getJsonObject("retries_by_reason");
    assertThat(retries.fieldNames()).containsExactlyInAnyOrder("connection_refused", "status_500");
    assertThat(retries.getLong("connection_refused")).isEqualTo(4);
    assertThat(retries.getLong("status_500")).isEqualTo(2);
    assertThat(report.answersWithStatus(500)).isEqualTo(3);
    assertThat(report.answersWithStatus(201)).isEqualTo(3);
    assertThat(ConsoleSummary.render(report)).contains("server errors (500) answered: 3;")
        .contains("retries: connection_refused 4 status_500 2");
  }

  @Test
  void aViolationFailsTheReportAndIsListedWithItsOrders(@TempDir Path dir) throws Exception {
    RunReport failed = report(List.of(Violation.of("key_to_two_buyers", "one key, two buyers",
        List.of("ord_1", "ord_2"))));
    ReportFiles.write(dir, failed);

    assertThat(failed.exitCode()).isEqualTo(RunReport.EXIT_VIOLATION);
    JsonObject json = new JsonObject(Files.readString(dir.resolve(ReportFiles.JSON)));
    assertThat(json.getBoolean("ok")).isFalse();
    assertThat(json.getJsonObject("audit").getJsonArray("violations").getJsonObject(0).getJsonArray("orders"))
        .containsExactly("ord_1", "ord_2");
    String html = Files.readString(dir.resolve(ReportFiles.HTML), StandardCharsets.UTF_8);
    assertThat(html).contains("Audit failed").contains("key_to_two_buyers").contains("ord_1").contains("ord_2");
    assertThat(ConsoleSummary.render(failed)).contains("AUDIT FAILED").contains("ord_1");
  }

  @Test
  void theHtmlReportDrawsItsChartsInlineAndFetchesNothing(@TempDir Path dir) throws Exception {
    ReportFiles.write(dir, report(List.of()));

    String html = Files.readString(dir.resolve(ReportFiles.HTML), StandardCharsets.UTF_8);
    assertThat(html).startsWith("<!DOCTYPE html>");
    assertThat(html.split("<svg", -1)).hasSize(4);
    assertThat(html).contains("<polyline").contains("Throughput over time").contains("checkout")
        .contains("pay → funded").contains("funded → key ready").contains("ready → released")
        .contains("sold_out");
    String lower = html.toLowerCase(java.util.Locale.ROOT);
    assertThat(lower).doesNotContain("<script").doesNotContain("<link").doesNotContain("src=")
        .doesNotContain("href=").doesNotContain("@import").doesNotContain("url(");
    // The only URL in the page is the target's, shown as text.
    assertThat(lower.replace("http://127.0.0.1:1234", "")).doesNotContain("http://").doesNotContain("https://");
    assertThat(html).contains("&lt;test&gt;").contains("a note &lt;b&gt;").doesNotContain("<test>");
  }

  @Test
  void theProgressLineShowsElapsedStatesRateAndP99() {
    ProgressSnapshot snapshot = new ProgressSnapshot(12_345, 5_210, 10_000, 256,
        Map.of("released", 1_900, "funded", 20), 3_100, 0, 410.0, 85.2, 900.0);

    String line = ProgressLine.format(snapshot);

    assertThat(line).contains("12.3s").contains("5210/10000").contains("in flight 256").contains("funded 20")
        .contains("released 1900").contains("sold out 3100").contains("410.0 lifecycles/s")
        .contains("p99 checkout 85 ms");
    assertThat(line).doesNotContain("\n").doesNotContain("\r");
  }
}
