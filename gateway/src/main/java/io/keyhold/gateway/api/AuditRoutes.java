package io.keyhold.gateway.api;

import io.keyhold.gateway.engine.LedgerAudit;
import java.time.Duration;

/** Operator API: {@code GET /admin/v1/audit} — the ledger invariants, computed now. */
final class AuditRoutes {
  /** The longest sweeper lag a caller may allow. */
  public static final long SWEEPER_LAG_SECONDS_MAX = 86_400;

  private AuditRoutes() {}

  public static void mount(Endpoints endpoints, LedgerAudit audit) {
    endpoints.get("getAudit", Caller.Kind.ADMIN, request -> {
      String lag = request.queryParam("sweeper_lag_seconds");
      // The OpenAPI document bounds the value (an integer in 0..86400) before this runs.
      Duration sweeperLag = lag == null ? LedgerAudit.DEFAULT_SWEEPER_LAG : Duration.ofSeconds(Long.parseLong(lag));
      return audit.run(sweeperLag).map(Reply::ok);
    });
  }
}
