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
  private static final String MERCHANT = "mer_" + "a".repeat(24);
  private static final String SKU = "sku_" + "a".repeat(24);
  /** Orders and their payments, enough that the plan made without values reads the payments whole. */
  private static final String[] FILL = {
      "INSERT INTO merchants (id, name, fee_basis_points, adapter_type, adapter_config_key_id, adapter_config_sealed,"
          + " webhook_secret_key_id, webhook_secret_sealed) VALUES ('" + MERCHANT + "', 'Plans', 0, 'stock', 'k1',"
          + " '\\x00', 'k1', '\\x00')",
      "INSERT INTO skus (merchant_id, id, name, price_minor, currency, pay_within_seconds, deliver_within_seconds,"
          + " validate_within_seconds, resupply_within_seconds, max_resupply_attempts, inspection_window_seconds,"
          + " max_hold_seconds, adapter_type) VALUES ('" + MERCHANT + "', '" + SKU + "', 'Plans', 100, 'CNY', 60, 10,"
          + " 10, 10, 1, 60, 3600, 'stock')",
      "INSERT INTO orders (merchant_id, id, sku_id, state, version, next_action_at, quantity, unit_price_minor,"
          + " currency, token_hash, adapter_type, data, placed_at, updated_at) SELECT '" + MERCHANT + "',"
          + " 'ord_' || translate(lpad(n::text, 24, '0'), '0123456789', 'abcdefghij'), '" + SKU + "', 'released', 5,"
          + " CASE WHEN n % 2 = 0 THEN now() + interval '1 day' END, 1, 100, 'CNY', sha256(n::text::bytea), 'stock',"
          + " '{}', now(), now() FROM generate_series(1, " + ORDERS + ") AS n",
      "INSERT INTO payments (provider, provider_txn_id, merchant_id, order_id, amount_minor, currency, use,"
          + " received_at) SELECT 'sandbox', 'pay' || n, '" + MERCHANT + "',"
          + " 'ord_' || translate(lpad(n::text, 24, '0'), '0123456789', 'abcdefghij'), 100, 'CNY', 'funded', now()"
          + " FROM generate_series(1, " + ORDERS + ") AS n",
      "ANALYZE orders",
      "ANALYZE payments"};

  @Test
  void plansTheSweepersClaimWithItsValuesSoItNeverReadsEveryPayment() throws Exception {
    try (TestGateway gw = TestGateway.start()) {
      Pool pool = gw.gateway().pool();
      String owed = Sweeper.OWED_KINDS.stream().map(kind -> "'" + kind + "'").collect(Collectors.joining(","));
      String types = "timestamptz, int, text[], text";
      String args = "now(), 64, ARRAY[" + owed + "], '" + SandboxProvider.NOTICE_KIND + "'";
      String[] plans = await(pool.withTransaction(tx -> Plans.run(tx, FILL)
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
