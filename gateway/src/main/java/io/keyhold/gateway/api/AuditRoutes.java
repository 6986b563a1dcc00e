package io.keyhold.gateway.api;

import io.keyhold.gateway.engine.LedgerAudit;
import io.keyhold.gateway.store.OperationsFigures;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;

/**
 * Operator API: {@code GET /admin/v1/audit} — the ledger invariants, computed now — and
 * {@code GET /admin/v1/operations} — the open work: orders per state, the outbox backlog and the sweeper's lag.
 */
final class AuditRoutes {
  /** The longest sweeper lag a caller may allow. */
  public static final long SWEEPER_LAG_SECONDS_MAX = 86_400;

  private AuditRoutes() {}

  public static void mount(Endpoints endpoints, LedgerAudit audit, OperationsFigures figures, Clock clock) {
    endpoints.get("getOperations", Caller.Kind.ADMIN, request -> figures.read(clock.instant()).map(reading ->
        Reply.ok(new JsonObject()
            .put("open_by_state", reading.openByState())
            .put("escrow_held", reading.escrowHeld())
            .put("outbox_pending", reading.outboxPending())
            .put("outbox_oldest_seconds", reading.outboxOldestSeconds())
            .put("sweeper_lag_seconds", reading.sweeperLagSeconds()))));
    endpoints.get("getAudit", Caller.Kind.ADMIN, request -> {
      String lag = request.queryParam("sweeper_lag_seconds");
      // The OpenAPI document bounds the value (an integer in 0..86400) before this runs.
      Duration sweeperLag = lag == null ? LedgerAudit.DEFAULT_SWEEPER_LAG : Duration.ofSeconds(Long.parseLong(lag));
      return audit.run(sweeperLag).map(Reply::ok);
    });
  }
}
