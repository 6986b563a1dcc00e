package io.keyhold.gateway.api;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.Plans;
import io.keyhold.gateway.testing.TestGateway;
import org.junit.jupiter.api.Test;

/**
 * Every sweep purges expired Idempotency-Key records, and finds them through the expiry index, under the plan the
 * gateway's connections make once without the values: a plan that read the whole table at each sweep cost 240 ms at
 * 720,000 records, to delete the few that had expired.
 */
class IdempotencyPurgePlanTest {
  private static final int RECORDS = 20_000;
  /** Records of a day's traffic, a few of them expired, in no particular order on disk (purges leave gaps). */
  private static final String[] FILL = {
      "INSERT INTO idempotency_records (scope, idempotency_key, request_hash, state, response_status, response_key_id,"
          + " response_sealed, expires_at) SELECT 'plans', 'key-' || n, sha256(n::text::bytea), 'done', 200, 'k1',"
          + " '\\x00', now() + CASE WHEN n % 1000 = 0 THEN interval '-1 minute' ELSE random() * interval '1 day' END"
          + " FROM generate_series(1, " + RECORDS + ") AS n",
      "ANALYZE idempotency_records"};

  @Test
  void findsExpiredRecordsThroughTheExpiryIndexUnderAPlanMadeWithoutTheValues() throws Exception {
    try (TestGateway gw = TestGateway.start()) {
      String plan = await(gw.gateway().pool().withTransaction(tx -> Plans.run(tx, FILL)
          .compose(filled -> Plans.of(tx, Idempotency.PURGE, "timestamptz, int", "now(), 256"))));

      assertThat(plan).contains("Index Scan using idempotency_records_expiry")
          .doesNotContain("Seq Scan on idempotency_records");
    }
  }
}
