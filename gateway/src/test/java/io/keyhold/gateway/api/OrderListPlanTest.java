package io.keyhold.gateway.api;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.Plans;
import io.keyhold.gateway.testing.TestGateway;
import org.junit.jupiter.api.Test;

/**
 * A merchant's order list names only the filters given, so the plan made once without the values uses the index a
 * filter names and starts a page at its cursor. Written as one statement with "$n IS NULL OR ...", every page read
 * the merchant's orders from the newest, and a rare state walked them all to fill one page.
 */
class OrderListPlanTest {
  private static final int ORDERS = 20_000;
  /** The list as it was: every filter optional in one statement. */
  private static final String CATCH_ALL = "SELECT id FROM orders WHERE merchant_id = $1"
      + " AND ($2::text IS NULL OR state = $2) AND ($3::timestamptz IS NULL OR (placed_at, id) < ($3, $4))"
      + " AND ($6::timestamptz IS NULL OR placed_at >= $6) ORDER BY placed_at DESC, id DESC LIMIT $5";
  private static final String CATCH_ALL_TYPES = "text, text, timestamptz, text, int, timestamptz";
  private static final String[] FEW_DISPUTED = {
      "UPDATE orders SET state = 'disputed' WHERE id IN (SELECT id FROM orders ORDER BY id LIMIT 20)",
      "ANALYZE orders"};

  @Test
  void aPageByStateOrAfterACursorStartsWhereItsIndexSays() throws Exception {
    try (TestGateway gw = TestGateway.start()) {
      String merchant = "'" + Plans.MERCHANT + "'";
      String[] plans = await(gw.gateway().pool().withTransaction(tx -> Plans.run(tx, Plans.ordersOf(ORDERS, "NULL"))
          .compose(orders -> Plans.run(tx, FEW_DISPUTED))
          .compose(filled -> Plans.of(tx, CATCH_ALL, CATCH_ALL_TYPES,
              merchant + ", 'disputed', now(), 'ord_x', 21, NULL"))
          .compose(catchAll -> Plans.of(tx, OrderRoutes.LIST.statement(true, false, false), "text, text, int",
                  merchant + ", 'disputed', 21")
              .compose(byState -> Plans.of(tx, OrderRoutes.LIST.statement(false, true, false),
                      "text, timestamptz, text, int", merchant + ", now(), 'ord_x', 21")
                  .map(afterCursor -> new String[] {catchAll, byState, afterCursor})))));

      // The premise: the catch-all statement's plan filters every row it reads for the state and the cursor.
      assertThat(plans[0]).contains("Filter:").doesNotContain("orders_by_merchant_state");
      assertThat(plans[1]).contains("orders_by_merchant_state");
      assertThat(plans[2]).containsPattern("Index Cond: .*ROW\\(placed_at, id\\) < ROW\\(");
    }
  }
}
