package io.keyhold.gateway.store;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.Plans;
import io.keyhold.gateway.testing.TestGateway;
import org.junit.jupiter.api.Test;

/**
 * The operator's figures, read every 5 s by every instance, read the open orders' escrow postings, never the whole
 * ledger: read as a join, PostgreSQL took every posting ever made (0.5 s a reading at 1.1 million postings).
 */
class OperationsFiguresPlanTest {
  private static final int ORDERS = 20_000;
  /** One order in five open (due tomorrow), the rest closed: enough open orders that a join reads the ledger whole. */
  private static final String OPEN = "CASE WHEN n % 5 = 0 THEN now() + interval '1 day' END";
  /** Each order's three postings: paid into its escrow, and out to the merchant and the fee. */
  private static final String[] LEDGER = {
      "INSERT INTO ledger_postings (merchant_id, order_id, txn_id, account, amount_minor, currency, created_at)"
          + " SELECT '" + Plans.MERCHANT + "', " + Plans.orderId("n") + ", 'txn' || n, a.account || "
          + Plans.orderId("n") + ", a.amount, 'CNY', now() FROM generate_series(1, " + ORDERS + ") AS n,"
          + " (VALUES ('escrow:', 100), ('merchant:', -97), ('fee:', -3)) AS a(account, amount)",
      "ANALYZE orders",
      "ANALYZE ledger_postings"};

  @Test
  void readsOnlyTheOpenOrdersEscrowPostings() throws Exception {
    try (TestGateway gw = TestGateway.start()) {
      String plan = await(gw.gateway().pool().withTransaction(tx -> Plans.run(tx, Plans.ordersOf(ORDERS, OPEN))
          .compose(orders -> Plans.run(tx, LEDGER))
          .compose(filled -> Plans.of(tx, OperationsFigures.READ, "timestamptz", "now()"))));

      assertThat(plan).contains("Index Scan using ledger_postings_by_order on ledger_postings")
          .doesNotContain("Seq Scan on ledger_postings");
    }
  }
}
