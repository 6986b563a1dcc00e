package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The effects of a change run on the instance that committed it, right after the commit, without a claim: the
 * change wrote its outbox rows claimed already. Here the outbox's own poll comes only once a minute, so an order that
 * reaches "ready" in seconds got its payment notices (queued by the sandbox as it took the payment), its delivery
 * and its key check from the commits that wrote them.
 */
class EffectsAtCommitTest {
  /** Far longer than the test: any row this order needs must come without the poll's timer. */
  static final long OUTBOX_INTERVAL_MS = 60_000;
  /** How long the rows may take to be marked done after the order is ready. */
  static final Duration DONE_WAIT = Duration.ofSeconds(5);

  static TestGateway gw;
  static Purchases purchases;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(config -> config.engine(EngineConfig.builder().outboxIntervalMs(OUTBOX_INTERVAL_MS).build()));
    purchases = new Purchases(gw);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void runsTheEffectsOfAChangeWhereItCommittedWithoutClaimingThem() throws Exception {
    double before = runsAtCommit();

    Purchases.Purchase purchase = purchases.readyOrder(purchases.stockShop(2, null), 1);

    // A finished row is marked done with others a few milliseconds after its effect's change committed.
    List<Row> rows = outboxRows(purchase.orderId());
    for (long giveUp = System.nanoTime() + DONE_WAIT.toNanos();
        rows.stream().anyMatch(row -> !"done".equals(row.getString("state"))) && System.nanoTime() < giveUp; ) {
      Thread.sleep(20);
      rows = outboxRows(purchase.orderId());
    }
    assertThat(rows).extracting(row -> row.getString("kind"))
        .containsExactly("sandbox_notice", "sandbox_notice", "request_delivery", "validate_unit");
    assertThat(rows).allSatisfy(row -> {
      assertThat(row.getString("state")).isEqualTo("done");
      assertThat(row.getInteger("attempts")).as("run once, claimed as it was written").isEqualTo(1);
    });
    assertThat(runsAtCommit() - before).as("rows run where they were committed").isGreaterThanOrEqualTo(rows.size());
  }

  private static List<Row> outboxRows(String orderId) {
    return gw.query("SELECT kind, state, attempts FROM outbox WHERE order_id = $1"
        + " AND kind IN ('sandbox_notice', 'request_delivery', 'validate_unit') ORDER BY id", orderId);
  }

  private static double runsAtCommit() {
    var counter = gw.gateway().meterRegistry().find("keyhold.outbox.runs").tag("claimed", "at_commit").counter();
    return counter == null ? 0 : counter.count();
  }
}
