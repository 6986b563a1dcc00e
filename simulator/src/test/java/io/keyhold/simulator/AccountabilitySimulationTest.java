package io.keyhold.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.env.EmbeddedGateway;
import io.keyhold.simulator.report.Accountability;
import io.keyhold.simulator.report.ReportFiles;
import io.keyhold.simulator.report.RunReport;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code accountability} profile against a real gateway started in-process on an embedded PostgreSQL
 * (issue 14): a remote shop that is slow or sells bad keys pays compensation from its deposit, its consignment
 * backup saves orders, the scores tell the two apart, and the gateway's audit (invariants 8 and 9 included) passes.
 */
class AccountabilitySimulationTest {

  private final ByteArrayOutputStream console = new ByteArrayOutputStream();

  @Test
  // The run takes about a minute on two cores; three is a hang, not a slow machine.
  @Timeout(value = 180)
  void aSlowShopSellingBadKeysPaysCompensationAndItsBackupSavesOrders(@TempDir Path reportDir) throws Exception {
    SimulationConfig config = SimulationConfig.builder(Profile.ACCOUNTABILITY).build();

    RunReport report = rehearse(config, reportDir);

    String printed = console.toString(StandardCharsets.UTF_8);
    assertThat(report.audit().violations()).as(printed).isEmpty();
    assertThat(report.failures()).as(printed).isEmpty();
    assertThat(report.exitCode()).isZero();
    JsonObject gatewayAudit = report.audit().gatewayAnswer();
    assertThat(gatewayAudit.getBoolean("ok")).as(printed).isTrue();
    // The deposit and compensation invariants were judged, on a run that exercised them. (Invariant 10, what
    // backup sources promise, is checked in escrow-core's RandomOrderSequenceTest: the gateway's audit has none.)
    assertThat(gatewayAudit.getJsonArray("invariants").stream().map(JsonObject.class::cast)
        .filter(invariant -> invariant.getInteger("id") >= 8).map(invariant -> invariant.getInteger("id")
            + ":" + invariant.getBoolean("ok")).toList()).as(printed).contains("8:true", "9:true");

    Accountability accountability = report.accountability();
    assertThat(accountability).as(printed).isNotNull();
    assertThat(accountability.ordersCompensated()).as(printed).isPositive();
    assertThat(accountability.compensationsMinor()).as(printed)
        .isEqualTo(accountability.gatewayCompensationsMinor()).isPositive()
        .isLessThanOrEqualTo(config.depositMinor());
    assertThat(accountability.ordersSavedByBackup()).as(printed).isPositive();
    // The deposit covers fewer compensations than the primary owes: what it cannot pay is recorded as unpaid.
    assertThat(accountability.unpaidMinor()).as(printed).isPositive();

    Map<String, Accountability.ShopScore> byRole = accountability.scores().stream()
        .collect(Collectors.toMap(Accountability.ShopScore::role, Function.identity()));
    assertThat(byRole).as(printed).containsOnlyKeys("primary", "backup");
    Accountability.ShopScore primary = byRole.get("primary");
    Accountability.ShopScore backup = byRole.get("backup");
    assertThat(primary.enoughData()).as(printed).isTrue();
    assertThat(primary.score()).as(printed).isNotNull();
    if (backup.enoughData()) {
      assertThat(primary.score()).as(printed).isLessThan(backup.score());
    } else {
      // Too few deliveries of its own for a score: the report says so rather than showing a number.
      assertThat(backup.score()).isNull();
      assertThat(backup.describe()).startsWith("not enough data");
    }

    assertThat(printed).contains("AUDIT PASSED").contains("saved (keys, not a refund)").contains("reliability: shop");
    assertThat(Files.readString(reportDir.resolve(ReportFiles.HTML))).contains("Shops held to account");
    assertThat(new JsonObject(Files.readString(reportDir.resolve(ReportFiles.JSON)))
        .getJsonObject("accountability").getInteger("orders_saved_by_backup"))
        .isEqualTo(accountability.ordersSavedByBackup());
  }

  private RunReport rehearse(SimulationConfig config, Path reportDir) throws Exception {
    EmbeddedGateway gateway = EmbeddedGateway.start(null, System.getenv("KEYHOLD_TEST_PG_URL"), 0,
        config.chaos().noticeChaos());
    try {
      return new Simulation(config, gateway, reportDir, new PrintStream(console, true, StandardCharsets.UTF_8), false)
          .run();
    } finally {
      gateway.stop();
    }
  }
}
