package io.keyhold.simulator.audit;

import io.keyhold.simulator.client.GatewayClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit at the end of a run: the gateway's {@code GET /admin/v1/audit} plus the simulator's
 * own {@link Books}. Any violation makes the run fail.
 */
public final class LedgerAudit {
  private LedgerAudit() {}

  /**
   * Asks the gateway (allowing {@code sweeperLag} past a deadline), then checks the books. Never
   * fails: a gateway that cannot answer is a violation.
   */
  public static Future<AuditResult> run(GatewayClient client, Books books, Duration sweeperLag) {
    return client.operator().audit(sweeperLag.toSeconds()).transform(result -> Future.succeededFuture(result.succeeded()
        ? combine(result.result(), null, books, sweeperLag)
        : combine(null, result.cause(), books, sweeperLag)));
  }

  /** Combines a gateway answer (or the failure to get one) with the books. Pure. */
  public static AuditResult combine(JsonObject gatewayAnswer, Throwable gatewayFailure, Books books,
      Duration sweeperLag) {
    List<Violation> violations = new ArrayList<>();
    if (gatewayFailure != null) {
      violations.add(Violation.of(ViolationCodes.GATEWAY_AUDIT_UNAVAILABLE,
          "GET /admin/v1/audit failed: " + gatewayFailure.getMessage(), List.of()));
    } else {
      violations.addAll(GatewayAudit.violations(gatewayAnswer));
    }
    violations.addAll(books.audit(sweeperLag));
    return new AuditResult(violations, gatewayAnswer, books.totals());
  }
}
