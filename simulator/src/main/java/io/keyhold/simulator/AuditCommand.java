package io.keyhold.simulator;

import io.keyhold.simulator.audit.AuditResult;
import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.audit.LedgerAudit;
import io.keyhold.simulator.audit.Violation;
import io.keyhold.simulator.client.GatewayClient;
import io.keyhold.simulator.env.RemoteGateway;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code audit}: asks a running gateway for its ledger audit and fails (exit 1) on any broken
 * invariant, naming the orders. The same check a run ends with, without a run.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Checks a running gateway's ledger audit; exit 1 names the broken invariants and their orders.")
final class AuditCommand implements Callable<Integer> {
  static final long TIMEOUT_MS = 60_000;

  @Option(names = "--gateway", required = true, description = "The gateway's URL.")
  String gateway;

  @Option(names = "--admin-token", description = "The gateway's admin token (default: env KEYHOLD_ADMIN_TOKEN).")
  String adminToken;

  @Option(names = "--sweeper-lag-seconds", defaultValue = "60",
      description = "How late past a deadline an order may be before it counts as overdue (default ${DEFAULT-VALUE}).")
  long sweeperLagSeconds;

  private final PrintStream out;
  private final PrintStream err;

  AuditCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    RemoteGateway target;
    try {
      target = new RemoteGateway(gateway, adminToken != null ? adminToken : System.getenv(RunCommand.ENV_ADMIN_TOKEN));
    } catch (IllegalArgumentException e) {
      err.println("keyhold-simulator: " + e.getMessage());
      return SimulatorMain.EXIT_USAGE;
    }
    Vertx vertx = Vertx.vertx();
    try {
      GatewayClient client = GatewayClient.create(vertx, target.baseUrl(), target.adminToken(), 4, TIMEOUT_MS);
      AuditResult result = LedgerAudit.run(client, new Books(), Duration.ofSeconds(sweeperLagSeconds))
          .toCompletionStage().toCompletableFuture().get(TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
      client.close();
      if (result.ok()) {
        out.println("AUDIT PASSED: the gateway at " + target.baseUrl() + " reports every invariant kept.");
        return 0;
      }
      out.println("AUDIT FAILED: " + result.violations().size() + " violation(s) at " + target.baseUrl());
      for (Violation violation : result.violations()) {
        out.println("  - " + violation.code() + ": " + violation.detail()
            + (violation.orderIds().isEmpty() ? "" : " orders " + violation.orderIds()));
      }
      return 1;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
