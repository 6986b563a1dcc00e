package io.keyhold.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.epay.EpayFaults;
import io.keyhold.simulator.env.EmbeddedGateway;
import io.keyhold.simulator.env.EpayStandIn;
import io.keyhold.simulator.report.Outcome;
import io.keyhold.simulator.report.Phase;
import io.keyhold.simulator.report.ReportFiles;
import io.keyhold.simulator.report.RunReport;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Rehearsals paid through the stand-in 易支付 site ({@code --payments epay}) against a real gateway on an embedded
 * PostgreSQL, over HTTP only: the buyers start their payment at the gateway, follow its redirect to the site, pay
 * there; the site's repeated, reordered or dropped notices (the gateway's idempotency, then its query poll) fund
 * each order once, and the audit passes as with the sandbox.
 */
class EpaySimulationTest {
  private static final String KEY = "sim-test-epay-merchant-key-0123456789";
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();

  private String printed() {
    return console.toString(StandardCharsets.UTF_8);
  }

  /** A short run with no buyer who walks away (an unpaid order would only end at the 60 s pay deadline). */
  private static SimulationConfig.Builder shortRun() {
    return SimulationConfig.builder(Profile.PAYMENT_CHAOS).buyers(40).stock(60).arrivalSeconds(3).drainSeconds(25)
        .settleSeconds(10).behaviours(new BehaviourMix(0.85, 0.05, 0.10, 0, 0))
        .chaos(new PaymentChaos(0.2, 0.1, 0, false)).seed(15).payments(PaymentRail.EPAY);
  }

  @Test
  @Timeout(90)
  void buyersPayAtTheEpaySiteThroughRepeatedAndReorderedNoticesAndTheAuditPasses(@TempDir Path reportDir)
      throws Exception {
    SimulationConfig config = shortRun().epayFaults(EpayFaults.NONE.withRepeatNotices(true)
        .withReorderNotices(true)).build();
    RunReport report;
    try (EpayStandIn site = EpayStandIn.start(0, EpayStandIn.DEFAULT_PID, null, config.epayFaults(), 15)) {
      EmbeddedGateway gateway = EmbeddedGateway.start(null, System.getenv("KEYHOLD_TEST_PG_URL"), 0, false,
          site.providerConfig());
      try {
        report = new Simulation(config, gateway, reportDir, new PrintStream(console, true, StandardCharsets.UTF_8),
            false, site).run();
      } finally {
        gateway.stop();
      }
      // Every paid order's notice, repeated: more notices than orders.
      assertThat(site.noticesSent()).as(printed()).isGreaterThan(report.completedLifecycles());
    }

    assertThat(report.audit().violations()).as(printed()).isEmpty();
    assertThat(report.failures()).as(printed()).isEmpty();
    assertThat(report.exitCode()).isZero();
    assertThat(report.completedLifecycles()).as(printed()).isGreaterThanOrEqualTo(36);
    assertThat(report.outcomes().getOrDefault(Outcome.ERROR, 0)).as(printed()).isZero();
    assertThat(report.phase(Phase.PAY_TO_FUNDED).count()).as(printed()).isGreaterThanOrEqualTo(36);
    // The money went through the site: its start, its pay step, and a refund of each second payment.
    assertThat(report.answers()).as(printed()).containsKeys("startPayment 201", "epaySubmit 302", "epayPay 302")
        .doesNotContainKeys("createPayment 201");
    assertThat(report.audit().totals().refunded()).as(printed()).isPositive();
    assertThat(report.paymentRail()).isEqualTo("epay (site faults: repeat, reorder)");
    assertThat(printed()).contains("payments: epay (site faults: repeat, reorder)").contains("AUDIT PASSED");
    assertThat(Files.readString(reportDir.resolve(ReportFiles.JSON))).contains("\"payments\" : \"epay");
  }

  @Test
  @Timeout(90)
  void theCommandLinePaysAtTheEpaySiteARunningGatewayNamesAndItsQueryPollFindsDroppedNotices(
      @TempDir Path reportDir) throws Exception {
    int port = freePort();
    // A gateway already running, configured as --help says: the site's URL, pid and key (which the simulator
    // reads from KEYHOLD_EPAY_KEY, as the gateway does).
    EmbeddedGateway gateway = EmbeddedGateway.start(null, System.getenv("KEYHOLD_TEST_PG_URL"), 0, false,
        new JsonObject().put("api_base_url", "http://127.0.0.1:" + port).put("pid", "2046").put("key", KEY));
    int exit;
    long startedNs = System.nanoTime();
    try {
      RunCommand command = new RunCommand(new PrintStream(console, true, StandardCharsets.UTF_8), System.err,
          Map.of(RunCommand.ENV_EPAY_KEY, KEY));
      exit = new CommandLine(command).execute("--profile", "steady", "--buyers", "30", "--stock", "40",
          "--duration", "3", "--http-shops", "0", "--abandon", "0", "--drain-seconds", "25", "--settle-seconds",
          "10", "--gateway", gateway.baseUrl(), "--admin-token", gateway.adminToken(), "--payments", "epay",
          "--epay-port", String.valueOf(port), "--epay-pid", "2046", "--epay-faults", "drop", "--progress", "plain",
          "--out", reportDir.toString());
    } finally {
      gateway.stop();
    }

    assertThat(exit).as(printed()).isZero();
    assertThat(printed()).contains("payments: epay (site faults: drop)").contains("AUDIT PASSED")
        .contains("which sent 0 notice(s)");
    JsonObject json = new JsonObject(Files.readString(reportDir.resolve(ReportFiles.JSON)));
    assertThat(json.getInteger("completed_lifecycles")).as(printed()).isGreaterThanOrEqualTo(27);
    assertThat(json.getJsonObject("gateway_answers").getLong("epayPay 302")).as(printed()).isGreaterThanOrEqualTo(27);
    assertThat(Duration.ofNanos(System.nanoTime() - startedNs)).isLessThan(Duration.ofSeconds(60));
  }

  @Test
  void refusesEpayWithARunningGatewayWithoutThePortAndKeyItsConfigNames() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = new CommandLine(new RunCommand(new PrintStream(console, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of())).execute("--gateway",
        "http://127.0.0.1:9", "--admin-token", "t".repeat(20), "--payments", "epay");

    assertThat(exit).isEqualTo(SimulatorMain.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--epay-port").contains("KEYHOLD_EPAY_KEY");
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
