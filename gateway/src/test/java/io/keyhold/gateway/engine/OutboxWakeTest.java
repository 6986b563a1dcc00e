package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The outbox runs what a lifecycle queues as it is queued, not at its next poll: with the poll ten minutes away, a
 * paid order still gets its notices (due a moment after the payment), its delivery and, once the buyer confirms, its
 * reservation given back — each claimed by the statement that queued it and run by this instance once it commits.
 */
class OutboxWakeTest {
  /** Far beyond the test's waits: only wakes can run the rows. */
  static final long POLL_MS = 600_000;

  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start(engine -> engine.outboxIntervalMs(POLL_MS), config -> { });
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  @Test
  void runsEachEffectOfALifecycleWhenItIsQueuedWithoutWaitingForAPoll() {
    // A shop of its own (a stock order gets its keys with its payment, and its reservation needs no release).
    Flows.HttpShop shop = flows.httpShop("Woken shop", 1, Flows.shortPolicy(), null);
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 1);
    // Let the dispatcher's first poll (at start) pass, so that what follows cannot ride on it.
    Flows.pause(200);

    flows.pay(session, 1);
    flows.awaitState(shop.merchant(), session.orderId(), "ready");
    assertThat(flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/reveal"), session.token(), "{}")
        .status()).isEqualTo(200);
    TestGateway.Response confirmed =
        flows.gw.post(TestGateway.buyerOrderPath(session.orderId(), "/confirm"), session.token(), "{}");
    assertThat(confirmed.status()).as(confirmed.toString()).isEqualTo(200);

    flows.awaitTrue("every outbox row of the order done", "SELECT count(*) > 0 AND bool_and(state = 'done')"
        + " FROM outbox WHERE order_id = $1", session.orderId());
    List<String> rows = flows.outbox(session.orderId());
    assertThat(rows).as("the notices (one row), the delivery and the reservation given back, each run once")
        .containsExactlyInAnyOrder("sandbox_notice:done:1", "request_delivery:done:1", "release_reservation:done:1");
    // Claimed by the statement that queued them (leased from that very moment), not by a claim afterwards.
    long lease = EngineConfig.defaults().outboxLeaseMs();
    assertThat(flows.gw.query("SELECT kind, claimed_by IS NOT NULL AS claimed,"
        + " (extract(epoch FROM next_attempt_at - created_at) * 1000)::bigint AS leased_ms FROM outbox"
        + " WHERE order_id = $1", session.orderId())).allSatisfy(row -> {
          assertThat(row.getBoolean("claimed")).as(row.getString("kind")).isTrue();
          assertThat(row.getLong("leased_ms")).as(row.getString("kind")).isEqualTo(lease);
        });
  }
}
