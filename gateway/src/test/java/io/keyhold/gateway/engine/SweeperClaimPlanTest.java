package io.keyhold.gateway.engine;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.adapters.SandboxProvider;
import io.keyhold.gateway.store.DatabaseLocation;
import io.keyhold.gateway.testing.Plans;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.sqlclient.Pool;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The sweeper's claim of due orders is planned with its values. The gateway's connections plan a statement once,
 * without its values; for this claim such a plan guesses a third of all orders due and reads every payment once per
 * sweep instead of looking up the few due orders' payments (measured: 20 ms a sweep at 230,000 payments, against
 * 0.4 ms, growing with the table).
 */
class SweeperClaimPlanTest {
  private static final int ORDERS = 3_000;
  /** Half of the orders due tomorrow: enough that the plan made without values reads the payments whole. */
  private static final String DUE = "CASE WHEN n % 2 = 0 THEN now() + interval '1 day' END";
  /** A payment for each order. */
  private static final String[] PAYMENTS = {
      "INSERT INTO payments (provider, provider_txn_id, merchant_id, order_id, amount_minor, currency, use,"
          + " received_at) SELECT 'sandbox', 'pay' || n, '" + Plans.MERCHANT + "', " + Plans.orderId("n")
          + ", 100, 'CNY', 'funded', now() FROM generate_series(1, " + ORDERS + ") AS n",
      "ANALYZE orders",
      "ANALYZE payments"};

  @Test
  void plansTheSweepersClaimWithItsValuesSoItNeverReadsEveryPayment() throws Exception {
    try (TestGateway gw = TestGateway.start()) {
      Pool pool = gw.gateway().pool();
      String owed = Sweeper.OWED_KINDS.stream().map(kind -> "'" + kind + "'").collect(Collectors.joining(","));
      String types = "timestamptz, int, text[], text";
      String args = "now(), 64, ARRAY[" + owed + "], '" + SandboxProvider.NOTICE_KIND + "'";
      String[] plans = await(pool.withTransaction(tx -> Plans.run(tx, Plans.ordersOf(ORDERS, DUE))
          .compose(orders -> Plans.run(tx, PAYMENTS))
          .compose(filled -> Plans.of(tx, Sweeper.CLAIM, types, args))
          .compose(withoutValues -> Plans.run(tx, DatabaseLocation.PLAN_WITH_VALUES)
              .compose(set -> Plans.of(tx, Sweeper.CLAIM, types, args))
              .map(withValues -> new String[] {withoutValues, withValues}))));

      // The premise: on these orders, the plan the connection makes without the values reads every payment.
      assertThat(plans[0]).contains("Seq Scan on payments");
      assertThat(plans[1]).doesNotContain("Seq Scan on payments").contains("Index Scan using orders_due");
    }
  }
}
