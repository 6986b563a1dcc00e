package io.keyhold.gateway.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * The gateway instances sharing one database ({@code gateway_instances}). Each beats about once a
 * second; one whose last beat is older than the lease is dead, and its claims are handed back in the
 * same statement: outbox rows become due at once (the attempt it did not finish is not counted),
 * Idempotency-Keys of the requests it was running and payments it was applying can be taken over by
 * the client's or the provider's next try. Beats use the database's clock, so instances whose clocks
 * disagree (or a test that moves its own) still agree on who is alive.
 */
public final class Instances {
  /** Prefix of an instance id. */
  public static final String PREFIX = "gwi";

  private static final String BEAT = "INSERT INTO gateway_instances AS g (id, started_at, beat_at)"
      + " VALUES ($1, clock_timestamp(), clock_timestamp())"
      + " ON CONFLICT (id) DO UPDATE SET beat_at = clock_timestamp() RETURNING (g.xmax = 0) AS registered";
  private static final String REAP = "WITH dead AS (DELETE FROM gateway_instances WHERE id <> $1"
      + " AND beat_at < clock_timestamp() - $2 * interval '1 millisecond' RETURNING id),"
      + " outbox_rows AS (UPDATE outbox SET claimed_by = NULL, next_attempt_at = $3,"
      + " attempts = greatest(attempts - 1, 0) WHERE state = 'pending' AND claimed_by IN (SELECT id FROM dead)"
      + " RETURNING 1),"
      + " request_keys AS (UPDATE idempotency_records SET locked_until = $3"
      + " WHERE state = 'in_progress' AND holder IN (SELECT id FROM dead) RETURNING 1),"
      + " payment_claims AS (UPDATE payments SET claimed_until = $3, claimed_by = NULL"
      + " WHERE claimed_by IN (SELECT id FROM dead) RETURNING 1)"
      + " SELECT (SELECT count(*) FROM dead) AS instances, (SELECT count(*) FROM outbox_rows) AS outbox_rows,"
      + " (SELECT count(*) FROM request_keys) AS request_keys, (SELECT count(*) FROM payment_claims) AS payments";
  private static final String LEAVE = "DELETE FROM gateway_instances WHERE id = $1";

  /**
   * What one reap handed back.
   *
   * @param instances dead instances removed
   * @param outboxRows outbox rows made due again
   * @param requestKeys Idempotency-Keys made free to take over
   * @param payments payment claims ended
   */
  public record Reaped(long instances, long outboxRows, long requestKeys, long payments) {
    public static final Reaped NONE = new Reaped(0, 0, 0, 0);

    public boolean any() {
      return instances > 0;
    }
  }

  private final Pool pool;
  private final String self;

  public Instances(Pool pool, String self) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.self = Objects.requireNonNull(self, "self");
    if (!Ids.pattern(PREFIX).matcher(self).matches()) {
      throw new IllegalArgumentException("an instance id looks like " + PREFIX + "_<24 base32 characters>");
    }
  }

  /** A new instance id. */
  public static String newId() {
    return Ids.newId(PREFIX);
  }

  public String self() {
    return self;
  }

  /** Records a beat of this instance; answers true when the row was (re)created by it. */
  public Future<Boolean> beat() {
    return pool.preparedQuery(BEAT).execute(Tuple.of(self)).map(rows -> rows.iterator().next().getBoolean("registered"));
  }

  /**
   * Removes the instances silent for longer than {@code leaseMs} and hands their claims back, due at
   * {@code now} (the gateway's clock, which the claims' leases are written in).
   */
  public Future<Reaped> reap(long leaseMs, Instant now) {
    if (leaseMs <= 0) {
      throw new IllegalArgumentException("leaseMs must be greater than 0, but was " + leaseMs);
    }
    return pool.preparedQuery(REAP).execute(Tuple.of(self, (double) leaseMs, now.atOffset(ZoneOffset.UTC)))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new Reaped(row.getLong("instances"), row.getLong("outbox_rows"), row.getLong("request_keys"),
              row.getLong("payments"));
        });
  }

  /** Removes this instance's row at an orderly stop: its claims are finished or given back by then. */
  public Future<Void> leave() {
    return pool.preparedQuery(LEAVE).execute(Tuple.of(self)).mapEmpty();
  }
}
