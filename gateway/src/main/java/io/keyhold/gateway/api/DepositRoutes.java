package io.keyhold.gateway.api;

import io.keyhold.escrow.Money;
import io.keyhold.gateway.engine.Deposits;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.util.Set;

/**
 * Merchants' deposits (docs/money.md): the operator's {@code /admin/v1/merchants/{id}/deposit} (read, top-ups,
 * withdrawals above the floor, the floor, the history of the deposit account) and the merchant's own
 * {@code GET /v1/deposit}. Every POST runs under its Idempotency-Key, its answer stored in the same transaction as
 * the ledger postings.
 */
public final class DepositRoutes {
  private static final Set<String> AMOUNT_FIELDS = Set.of("amount", "currency");

  private final Pool pool;
  private final Deposits deposits;

  private DepositRoutes(Pool pool, Deposits deposits) {
    this.pool = pool;
    this.deposits = deposits;
  }

  public static void mount(Endpoints endpoints, Pool pool, Deposits deposits) {
    DepositRoutes routes = new DepositRoutes(pool, deposits);
    endpoints.get("getDeposit", Caller.Kind.ADMIN, request -> deposits.get(request.pathParam("id")).map(Reply::ok));
    endpoints.get("getDepositHistory", Caller.Kind.ADMIN,
        request -> deposits.history(request.pathParam("id")).map(Reply::ok));
    endpoints.get("getOwnDeposit", Caller.Kind.MERCHANT, request -> deposits.get(request.merchantId()).map(Reply::ok));
    endpoints.post("topUpDeposit", Caller.Kind.ADMIN, request -> routes.move(request, 1, deposits::topUp));
    endpoints.post("withdrawDeposit", Caller.Kind.ADMIN, request -> routes.move(request, 1, deposits::withdraw));
    endpoints.post("setDepositFloor", Caller.Kind.ADMIN, request -> routes.move(request, 0, deposits::setFloor));
  }

  @FunctionalInterface
  private interface Change {
    Future<io.vertx.core.json.JsonObject> apply(SqlClient tx, String merchantId, Money amount);
  }

  private Future<Reply> move(ApiRequest request, long min, Change change) {
    JsonInput in = JsonInput.of(request.body(), AMOUNT_FIELDS);
    long amount = in.requiredLong("amount", min, Deposits.AMOUNT_MINOR_MAX);
    String currency = in.requiredCurrency("currency");
    in.done();
    Money money = Money.of(amount, currency);
    return pool.withTransaction(tx -> change.apply(tx, request.pathParam("id"), money).compose(deposit -> {
      Reply reply = Reply.ok(deposit);
      return request.recordReply(tx, reply).map(reply);
    }));
  }
}
