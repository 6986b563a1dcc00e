package io.keyhold.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.env.EmbeddedGateway;
import io.keyhold.simulator.load.Crowd;
import io.keyhold.simulator.report.Outcome;
import io.keyhold.simulator.report.Phase;
import io.keyhold.simulator.report.ReportFiles;
import io.keyhold.simulator.report.RunMetrics;
import io.keyhold.simulator.report.RunReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole rehearsals against a real gateway started in-process on an embedded PostgreSQL, driven over
 * HTTP only: the short {@code flash-sale} and {@code bad-keys} runs CI is to pass (issue 6).
 * They take about a minute together on two cores.
 */
class SimulatorEndToEndTest {
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();

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

  private String printed() {
    return console.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aShortFlashSaleSellsEveryKeyOnceAndPassesItsAudit(@TempDir Path reportDir) throws Exception {
    SimulationConfig config = SimulationConfig.builder(Profile.FLASH_SALE).buyers(800).stock(150)
        .arrivalSeconds(3).drainSeconds(40).seed(6).build();

    RunReport report = rehearse(config, reportDir);

    assertThat(report.audit().violations()).as(printed()).isEmpty();
    assertThat(report.failures()).as(printed()).isEmpty();
    assertThat(report.exitCode()).isZero();
    assertThat(report.outcomes().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(800);
    assertThat(report.outcomes().getOrDefault(Outcome.SOLD_OUT, 0)).as(printed()).isGreaterThan(500);
    // The buyers who abandon (7 %) hold their keys for the whole pay window, longer than this run: the gateway says
    // so in its sold-out answers, and the summary tells them apart.
    assertThat(report.seriesTotal(RunMetrics.Series.SOLD_OUT_WHILE_HELD)).as(printed()).isPositive()
        .isLessThanOrEqualTo(report.outcomes().getOrDefault(Outcome.SOLD_OUT, 0));
    assertThat(printed()).contains("buyers told sold out while unpaid checkouts still held keys; 0 looks again,"
        + " 0 checkouts placed by them");
    assertThat(report.completedLifecycles()).as(printed()).isGreaterThan(100);
    assertThat(report.phase(Phase.CHECKOUT).count()).isGreaterThan(600);
    assertThat(report.phase(Phase.FUNDED_TO_READY).count()).isPositive();
    // The simulator's own lag is probed through the whole run (a probe every 20 ms; a busy loop fires fewer).
    assertThat(report.phase(Phase.SIMULATOR_LAG).count()).as(printed())
        .isGreaterThan(report.runMs() / Crowd.LAG_PROBE_MS / 4);
    assertThat(Files.readString(reportDir.resolve(ReportFiles.HTML))).contains("<svg");
    assertThat(printed()).contains("AUDIT PASSED");
    // Its load costs the cores it shares with the gateway as little as it can: on Linux x86-64, epoll's sockets.
    boolean epollHere = "Linux".equals(System.getProperty("os.name")) && "amd64".equals(System.getProperty("os.arch"));
    assertThat(printed()).contains(epollHere ? "Simulator sockets on the native transport (epoll)"
        : "Simulator sockets on ");
  }

  @Test
  void buyersWhoStayBuyTheKeysThatUnpaidCheckoutsGiveBack(@TempDir Path reportDir) throws Exception {
    // A third of the first buyers never pay: their keys stay reserved for the pay window (60 s, the least the
    // gateway allows), then come back. The buyers told sold out meanwhile stay 90 s to look again.
    SimulationConfig config = SimulationConfig.builder(Profile.FLASH_SALE).buyers(60).stock(15).arrivalSeconds(2)
        .behaviours(new BehaviourMix(0.7, 0, 0, 0.3, 0)).comeBackWithinSeconds(90).drainSeconds(75).seed(6)
        .build();

    RunReport report = rehearse(config, reportDir);

    assertThat(report.audit().violations()).as(printed()).isEmpty();
    assertThat(report.failures()).as(printed()).isEmpty();
    assertThat(report.exitCode()).isZero();
    long cameBack = report.seriesTotal(RunMetrics.Series.CAME_BACK);
    long bought = report.seriesTotal(RunMetrics.Series.BOUGHT_ON_COMING_BACK);
    assertThat(bought).as(printed()).isPositive().isLessThanOrEqualTo(cameBack);
    assertThat(report.outcomes().getOrDefault(Outcome.ABANDONED, 0) + report.completedLifecycles())
        .as("more checkouts held keys than there are keys: some went to a second buyer after the first never paid")
        .isGreaterThan(15);
  }

  @Test
  void aShortBadKeysRunResuppliesOrRefundsAndPassesItsAudit(@TempDir Path reportDir) throws Exception {
    SimulationConfig config = SimulationConfig.builder(Profile.BAD_KEYS).buyers(150).stock(200)
        .arrivalSeconds(5).seed(6).build();

    RunReport report = rehearse(config, reportDir);

    assertThat(report.audit().violations()).as(printed()).isEmpty();
    assertThat(report.failures()).as(printed()).isEmpty();
    assertThat(report.exitCode()).isZero();
    assertThat(report.completedLifecycles()).as(printed()).isGreaterThan(100);
    assertThat(report.audit().toJson().getJsonObject("books").getBoolean("balanced")).isTrue();
  }

  @Test
  void theCommandLineRunsAProfileInProcessAndExitsZero(@TempDir Path reportDir) {
    int exit = SimulatorMain.commandLine(new PrintStream(console, true, StandardCharsets.UTF_8), System.err)
        .execute("run", "--profile", "flash-sale", "--buyers", "300", "--stock", "60", "--duration", "2",
            "--drain-seconds", "40", "--progress", "plain", "--out", reportDir.toString());

    assertThat(exit).as(printed()).isZero();
    assertThat(reportDir.resolve(ReportFiles.JSON)).exists();
  }
}
