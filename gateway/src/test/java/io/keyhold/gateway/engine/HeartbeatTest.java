package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.store.Instances;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Work claimed by an instance that died is handed back within its lease and one beat, not when the claims'
 * own leases end (a minute for the outbox): a real gateway beats, and an instance row that stops beating
 * stands for a gateway killed mid-work (its claims written as that gateway writes them).
 */
class HeartbeatTest {
  static final long BEAT_MS = 200;
  static final long LEASE_MS = 600;
  /** A sweep of the test's own polling and a loaded machine on top of lease + beat. */
  static final long SLACK_MS = 2_000;

  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start(engine -> engine.instanceBeatMs(BEAT_MS).instanceLeaseMs(LEASE_MS), config -> { });
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  @Test
  void handsBackTheClaimsOfAnInstanceThatStoppedBeating() {
    String dead = Instances.newId();
    String kind = "test_orphan";
    String key = "orphan-" + UUID.randomUUID();
    flows.gw.query("INSERT INTO gateway_instances (id, started_at, beat_at) VALUES ($1, now(), clock_timestamp())", dead);
    // As the dead instance left them: an outbox row it was running, a request it was answering.
    flows.gw.query("INSERT INTO outbox (kind, idempotency_key, payload, attempts, next_attempt_at, created_at,"
        + " claimed_by) VALUES ($1, $2, '{}', 1, now() + interval '1 hour', now(), $3)", kind, key, dead);
    flows.gw.query("INSERT INTO idempotency_records (scope, idempotency_key, request_hash, state, locked_until,"
        + " expires_at, holder, claim_token) VALUES ('admin', $1, decode(repeat('00', 32), 'hex'), 'in_progress',"
        + " now() + interval '1 hour', now() + interval '1 day', $2, 'ikc_test')", key, dead);
    long lastBeat = System.nanoTime();

    flows.awaitTrue("the dead instance's outbox row and request key are handed back",
        "SELECT (SELECT claimed_by IS DISTINCT FROM $2 AND coalesce(last_error, '') LIKE '%no handler%' FROM outbox"
            + " WHERE idempotency_key = $1) AND (SELECT locked_until < now() + interval '1 minute'"
            + " FROM idempotency_records WHERE scope = 'admin' AND idempotency_key = $1)", key, dead);
    long handedBackMs = Duration.ofNanos(System.nanoTime() - lastBeat).toMillis();

    System.out.printf("claims of a dead instance handed back %d ms after its last beat (lease %d ms, beat %d ms)%n",
        handedBackMs, LEASE_MS, BEAT_MS);
    assertThat(handedBackMs).isLessThan(LEASE_MS + BEAT_MS + SLACK_MS);
    assertThat(flows.gw.query("SELECT count(*) FROM gateway_instances WHERE id = $1", dead).get(0).getLong(0))
        .as("the dead instance's row").isZero();
    Row self = flows.gw.query("SELECT count(*) AS live FROM gateway_instances").get(0);
    assertThat(self.getLong("live")).as("this gateway, still beating").isEqualTo(1);
  }
}
