package io.keyhold.gateway.api;

import io.keyhold.gateway.crypto.KeyVault;
import io.keyhold.gateway.store.KeyedBatches;
import io.keyhold.gateway.store.Ids;
import io.keyhold.gateway.store.OrderStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Idempotency-Key for POST requests, stored in PostgreSQL ({@code idempotency_records}) and scoped by
 * caller.
 *
 * <ul>
 *   <li>First request with a key: {@link #begin} claims the key ({@code in_progress}, leased for
 *       {@link #LEASE}); the handler runs; its answer (any status below 500) is stored sealed with
 *       the {@link KeyVault}, because a first answer may hold a secret shown once. Bad input (400)
 *       is never stored: it releases the key.
 *   <li>Same key, same request (method, path and body bytes hashed with SHA-256): the stored first
 *       answer again, with {@code Idempotent-Replayed: true}.
 *   <li>Same key, another request: 422 {@code idempotency_key_reused}.
 *   <li>Same key while the first is still running: 409 {@code idempotency_request_in_progress} with
 *       {@code Retry-After}. The claim names the gateway instance: when that instance dies, another
 *       hands the claim back within seconds (the lease is only the last resort) and the retry runs. A
 *       claim token tells the runs apart, so a run whose claim was handed over can no longer store its
 *       answer (its transaction rolls back).
 *   <li>A refusal given before any work ({@link Endpoints.EarlyRefusal}: a checkout of a SKU this instance
 *       saw sell out a moment ago) neither claims nor stores the key, only reads it ({@link #known}): a
 *       key already answered still replays its answer. A flash sale's sold-out crowd costs one read each,
 *       not a claim and a stored answer.
 *   <li>A handler that fails with a 5xx or an exception releases the key, so a retry runs again. When the
 *       release fails too (the database is down), this gateway remembers it owes it, and the client's retry
 *       with the key releases it before claiming: no retry meets "in progress" for a whole lease.
 * </ul>
 *
 * Handlers that write in a transaction should store the answer in that same transaction
 * ({@link ApiRequest#recordReply}), so a crash can never leave the work done and the key unanswered.
 *
 * <p>A route whose handler always does so (a checkout: {@link Endpoints#postNewDemandAnsweredInItsTransaction}) claims
 * nothing first ({@link #unclaimed}): its answer is inserted with its work instead of a claim before it and an update
 * after — a checkout's as the {@link #gate} of the one statement that stores its order, which writes the order only
 * when the answer was written. A duplicate running at once does its work too, meets the first one's record when it
 * inserts its own (waiting for that statement or transaction to end), writes nothing with {@link KeyTaken}, and
 * then goes the claiming way, which replays the first answer (or refuses another request under the key).
 *
 * <p>A route that makes one change to one order (a buyer's act: {@link Endpoints#postClaimedByItsChange}) claims its
 * key in the statement that stores the change ({@link #changeGate}), not in one of its own before it: the change is
 * written only by the run holding the key, and its answer completes the claim as above. A run that stored no change
 * (refused, or nothing to do) stores its answer unclaimed, as a checkout does.
 */
public final class Idempotency {
  public static final String HEADER = "Idempotency-Key";
  public static final String REPLAYED_HEADER = "Idempotent-Replayed";
  public static final int KEY_LENGTH_MAX = 255;
  /** Longer than any request may run (the request timeout), so a live request keeps its claim. */
  public static final Duration LEASE = Duration.ofSeconds(60);
  private static final String CLAIM_TOKEN_PREFIX = "ikc";
  /** Tries at releasing a key after a failed request, at most (pauses of 100 ms, 400 ms, 1.6 s between). */
  public static final int RELEASE_ATTEMPTS_MAX = 4;
  static final long RELEASE_PAUSE_MS = 100;
  /**
   * Releases this gateway still owes, at most: keys whose release failed even after its retries (the database
   * was down). Past it a key waits for its lease to end, as before.
   */
  public static final int OWED_RELEASES_MAX = 10_000;
  /** How long a key is remembered. */
  public static final Duration RETENTION = Duration.ofHours(24);
  /** Printable ASCII, no spaces; UUIDs and the usual client formats fit. */
  public static final Pattern KEY_FORMAT = Pattern.compile("[\\x21-\\x7E]{1," + KEY_LENGTH_MAX + "}");

  /** A claim's insert ({@link #claimArgs}, a {@code %s} each), and what it does when the key has a record. */
  private static final String CLAIM_INSERT = "INSERT INTO idempotency_records"
      + " (scope, idempotency_key, request_hash, state, locked_until, expires_at, holder, claim_token)"
      + " VALUES (%s, %s, %s, 'in_progress', %s, %s, %s, %s) ON CONFLICT (scope, idempotency_key) DO ";
  private static final String CLAIM = (CLAIM_INSERT + "NOTHING").formatted(OrderStore.placeholders(1, 7));
  private static final String TAKE_OVER = "UPDATE idempotency_records"
      + " SET request_hash = $3, state = 'in_progress', locked_until = $4, expires_at = $5,"
      + " response_status = NULL, response_key_id = NULL, response_sealed = NULL, created_at = now(),"
      + " holder = $6, claim_token = $7"
      + " WHERE scope = $1 AND idempotency_key = $2"
      + " AND (expires_at < $8 OR (state = 'in_progress' AND locked_until < $8))";
  private static final String FIND = "SELECT request_hash, state, locked_until, expires_at, response_status,"
      + " response_key_id, response_sealed FROM idempotency_records WHERE scope = $1 AND idempotency_key = $2";
  /** Which of several (scope, key) pairs have a record, in one statement ({@link #known}). */
  private static final String FIND_KNOWN = "SELECT k.scope, k.idempotency_key"
      + " FROM unnest($1::text[], $2::text[]) AS k(scope, idempotency_key) WHERE EXISTS (SELECT 1"
      + " FROM idempotency_records r WHERE r.scope = k.scope AND r.idempotency_key = k.idempotency_key)";
  /**
   * {@link #CLAIM} as the gate of a buyer act's change ({@link #changeGate}): a new claim, or the same run's claim
   * again (the change's retry after a version conflict); no row for any other record, which the claiming way meets.
   */
  private static final String CLAIM_GATE = CLAIM_INSERT + "UPDATE"
      + " SET locked_until = excluded.locked_until WHERE idempotency_records.state = 'in_progress'"
      + " AND idempotency_records.claim_token = excluded.claim_token RETURNING 1";
  /** What a claim's answer writes into its record: the answer ({@code %s}: status, key id, sealed), the claim ended. */
  private static final String COMPLETED = "state = 'done', locked_until = NULL, holder = NULL, claim_token = NULL,"
      + " response_status = %s, response_key_id = %s, response_sealed = %s";
  private static final String COMPLETE = "UPDATE idempotency_records SET " + COMPLETED
      + " WHERE scope = %s AND idempotency_key = %s AND state = 'in_progress' AND claim_token = %s";
  /**
   * An unclaimed request's answer, stored with its work: a new record, or one that expired or whose claim's lease
   * ran out; nothing when the key has a live record (another request's).
   */
  private static final String STORE = "INSERT INTO idempotency_records (scope, idempotency_key, request_hash, state,"
      + " expires_at, response_status, response_key_id, response_sealed) VALUES (%s, %s, %s, 'done', %s, %s, %s, %s)"
      + " ON CONFLICT (scope, idempotency_key) DO UPDATE SET request_hash = excluded.request_hash, state = 'done',"
      + " locked_until = NULL, expires_at = excluded.expires_at, holder = NULL, claim_token = NULL,"
      + " response_status = excluded.response_status, response_key_id = excluded.response_key_id,"
      + " response_sealed = excluded.response_sealed, created_at = now()"
      + " WHERE idempotency_records.expires_at < %s"
      + " OR (idempotency_records.state = 'in_progress' AND idempotency_records.locked_until < %s)";
  /**
   * {@link #COMPLETE} for many claims at once ({@link #completions}): each row is its own key's, written only while
   * that key's claim is this request's; answers the keys it wrote.
   */
  private static final String COMPLETE_MANY = "UPDATE idempotency_records r SET "
      + COMPLETED.formatted("c.status", "c.key_id", "c.sealed")
      + " FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[],"
      + " $6::bytea[]) AS c(scope, idempotency_key, claim_token, status, key_id, sealed)"
      + " WHERE r.scope = c.scope AND r.idempotency_key = c.idempotency_key AND r.state = 'in_progress'"
      + " AND r.claim_token = c.claim_token RETURNING r.scope, r.idempotency_key";
  /** Answers completing their claims in one statement, at most: a sealed answer is a KB or two. */
  static final int COMPLETIONS_MAX = 64;
  private static final String COMPLETE_NUMBERED = COMPLETE.formatted(OrderStore.placeholders(1, 6));
  private static final String STORE_NUMBERED = STORE.formatted(OrderStore.placeholders(1, 9));
  private static final String RELEASE = "DELETE FROM idempotency_records"
      + " WHERE scope = $1 AND idempotency_key = $2 AND state = 'in_progress' AND claim_token = $3";
  /**
   * Up to $2 expired records, oldest first. In expiry order, a plan made without the values walks the expiry index from
   * its oldest end and stops at the first unexpired record; unordered, it read the whole table at every sweep to find
   * the few expired (240 ms at 720,000 records, against 0.2).
   */
  static final String PURGE = "DELETE FROM idempotency_records WHERE ctid = ANY(ARRAY("
      + "SELECT ctid FROM idempotency_records WHERE expires_at < $1 ORDER BY expires_at LIMIT $2))";

  private final Pool pool;
  private final KeyVault vault;
  private final Clock clock;
  private final String instanceId;
  /**
   * Claims this gateway made, whose request failed, and whose release failed too, by scope and key: their
   * claim token. The client's retry with the key releases it first (see {@link #begin}).
   */
  private final Map<String, String> owedReleases = new ConcurrentHashMap<>();
  /** {@link #known}'s reads: a crowd refused early (a SKU sold out) asks in a few statements, not one each. */
  private final KeyedBatches<ScopedKey, Boolean> knownKeys = new KeyedBatches<>(this::findKnown, KeyedBatches.KEYS_MAX);

  /**
   * Answers of claimed requests outside a transaction (a buyer's act, a sandbox payment), stored many to a statement:
   * in a spike each was a statement and a commit of its own.
   */
  private final KeyedBatches<Completion, Boolean> completions = new KeyedBatches<>(this::completeMany, COMPLETIONS_MAX);

  private record ScopedKey(String scope, String key) {}

  /** A claimed request's sealed answer, to store while the claim ({@code token}) is still its own. */
  private record Completion(String scope, String key, String token, int status, String keyId, Buffer sealed) {
    /** {@link #COMPLETE}'s arguments, in its order. */
    List<Object> args() {
      return List.of(status, keyId, sealed, scope, key, token);
    }
  }

  /** {@code instanceId}: this gateway instance, named on its claims so they are handed back if it dies. */
  public Idempotency(Pool pool, KeyVault vault, Clock clock, String instanceId) {
    this.pool = pool;
    this.vault = vault;
    this.clock = clock;
    this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
  }

  Pool pool() {
    return pool;
  }

  /** The same records worked through {@code other} (the order engine's pool, for the sweeper's purge). */
  public Idempotency using(Pool other) {
    return new Idempotency(other, vault, clock, instanceId);
  }

  /** SHA-256 over the method, the path and the body bytes. */
  public static byte[] requestHash(HttpMethod method, String path, Buffer body) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update((method.name() + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
      if (body != null) {
        digest.update(body.getBytes());
      }
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /**
   * This request's hold on {@code key} without a claim stored first, for a handler that stores its answer in the
   * transaction of its work (see the class comment); fails for a malformed key.
   */
  public Future<Claim> unclaimed(Caller caller, String key, byte[] requestHash) {
    if (!KEY_FORMAT.matcher(key).matches()) {
      return Future.failedFuture(malformedKey());
    }
    return Future.succeededFuture(new Claim(caller.scope(), key, requestHash, null));
  }

  private static ProblemException malformedKey() {
    return new ProblemException(ProblemCode.IDEMPOTENCY_KEY_INVALID,
        HEADER + " must be 1 to " + KEY_LENGTH_MAX + " printable ASCII characters without spaces");
  }

  /**
   * Claims {@code key} for this request, or answers the stored first reply. Fails with a
   * {@link ProblemException} for a reused key or a request still in progress.
   */
  public Future<Outcome> begin(Caller caller, String key, byte[] requestHash) {
    if (!KEY_FORMAT.matcher(key).matches()) {
      return Future.failedFuture(malformedKey());
    }
    Claim claim = new Claim(caller.scope(), key, requestHash, Ids.newId(CLAIM_TOKEN_PREFIX));
    OffsetDateTime now = now();
    Tuple claimArgs = Tuple.from(claimArgs(claim, claim.token, now));
    return releaseOwed(claim).compose(released -> pool.preparedQuery(CLAIM).execute(claimArgs))
        .compose(inserted -> inserted.rowCount() == 1
            ? Future.succeededFuture(new Outcome(claim, null))
            : existing(claim, claimArgs, now));
  }

  /**
   * Releases the key of {@code claim} first if this gateway owes its release: the first request with it failed
   * while the database was down, so its outcome was unknown to the client (503). Exact either way: a first
   * request whose commit happened stored its answer in the same transaction ({@code state = 'done'}), which
   * the release leaves alone and the retry then replays; one whose commit did not happen left only its
   * unanswered claim, which goes, and the retry runs the request again.
   */
  private Future<Void> releaseOwed(Claim claim) {
    String owedKey = claim.id();
    String owedToken = owedReleases.remove(owedKey);
    if (owedToken == null) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery(RELEASE).execute(Tuple.of(claim.scope, claim.key, owedToken))
        .<Void>mapEmpty()
        .onFailure(failure -> owedReleases.putIfAbsent(owedKey, owedToken));
  }

  private Future<Outcome> existing(Claim claim, Tuple claimArgs, OffsetDateTime now) {
    return pool.preparedQuery(FIND).execute(Tuple.of(claim.scope, claim.key)).compose(rows -> {
      if (rows.size() == 0) {
        // Released between our insert and this read: the first request failed; the client retries.
        return inProgress();
      }
      Row row = rows.iterator().next();
      boolean expired = row.getOffsetDateTime("expires_at").isBefore(now);
      boolean leaseOver = "in_progress".equals(row.getString("state")) && row.getOffsetDateTime("locked_until").isBefore(now);
      if (expired || leaseOver) {
        return pool.preparedQuery(TAKE_OVER).execute(claimArgs.addOffsetDateTime(now))
            .compose(taken -> taken.rowCount() == 1 ? Future.succeededFuture(new Outcome(claim, null)) : inProgress());
      }
      if (!MessageDigest.isEqual(row.getBuffer("request_hash").getBytes(), claim.requestHash)) {
        return Future.failedFuture(new ProblemException(ProblemCode.IDEMPOTENCY_KEY_REUSED,
            "This " + HEADER + " was first used with another request; use a new key for a new request"));
      }
      if ("in_progress".equals(row.getString("state"))) {
        return inProgress();
      }
      return Future.succeededFuture(new Outcome(null, open(claim, row)));
    });
  }

  /** Whether {@code key} has a record (an answer, or a run under way) for this caller: read by primary key, batched. */
  public Future<Boolean> known(Caller caller, String key) {
    return knownKeys.ask(new ScopedKey(caller.scope(), key)).map(Boolean.TRUE::equals);
  }

  private Future<Map<ScopedKey, Boolean>> findKnown(List<ScopedKey> keys) {
    String[] scopes = keys.stream().map(ScopedKey::scope).toArray(String[]::new);
    String[] names = keys.stream().map(ScopedKey::key).toArray(String[]::new);
    Tuple args = Tuple.tuple().addArrayOfString(scopes).addArrayOfString(names);
    return pool.preparedQuery(FIND_KNOWN).execute(args).map(rows -> KeyedBatches.byKey(rows,
        row -> new ScopedKey(row.getString("scope"), row.getString("idempotency_key")), row -> true));
  }

  private static Future<Outcome> inProgress() {
    return Future.failedFuture(new ProblemException(ProblemCode.IDEMPOTENCY_REQUEST_IN_PROGRESS,
        "A request with this " + HEADER + " is still running; retry it after a moment"));
  }

  /**
   * Stores {@code reply} as the answer for {@code claim}, through {@code client} (the handler's
   * transaction, or the pool). Fails when the claim was lost (its lease ran out and another request
   * took it), which must roll the transaction back; for an {@link #unclaimed} request, with {@link KeyTaken} when
   * the key has another request's record.
   */
  public Future<Void> complete(SqlClient client, Claim claim, Reply reply) {
    if (reply.status() >= 500) {
      return Future.failedFuture(new IllegalArgumentException("a 5xx answer is never stored, but got " + reply.status()));
    }
    Stored stored = stored(claim, reply);
    Future<Boolean> written = stored.claimed() && client == pool
        ? completions.ask(stored.completion()).map(Boolean.TRUE::equals)
        : client.preparedQuery(stored.claimed() ? COMPLETE_NUMBERED : STORE_NUMBERED).execute(Tuple.from(stored.args()))
            .map(rows -> rows.rowCount() == 1);
    return written.compose(wrote -> {
      if (!wrote) {
        return Future.failedFuture(stored.lost());
      }
      claim.completed = true;
      return Future.succeededFuture();
    });
  }

  private Future<Map<Completion, Boolean>> completeMany(List<Completion> batch) {
    Tuple args = Tuple.tuple()
        .addArrayOfString(batch.stream().map(Completion::scope).toArray(String[]::new))
        .addArrayOfString(batch.stream().map(Completion::key).toArray(String[]::new))
        .addArrayOfString(batch.stream().map(Completion::token).toArray(String[]::new))
        .addArrayOfInteger(batch.stream().map(Completion::status).toArray(Integer[]::new))
        .addArrayOfString(batch.stream().map(Completion::keyId).toArray(String[]::new))
        .addArrayOfBuffer(batch.stream().map(Completion::sealed).toArray(Buffer[]::new));
    Map<ScopedKey, Completion> byKey = new HashMap<>();
    batch.forEach(completion -> byKey.put(new ScopedKey(completion.scope(), completion.key()), completion));
    assert byKey.size() == batch.size() : "two completions of one key in a statement";
    return pool.preparedQuery(COMPLETE_MANY).execute(args).map(rows -> KeyedBatches.byKey(rows,
        row -> byKey.get(new ScopedKey(row.getString("scope"), row.getString("idempotency_key"))), row -> true));
  }

  /**
   * Stores {@code reply} as the answer for {@code claim} as the gate of a new order's statement
   * ({@link OrderStore#insert}): the order is stored only with its answer, and fails as {@link #complete} would when
   * the answer cannot be stored.
   */
  public OrderStore.Gate gate(Claim claim, Reply reply) {
    Stored stored = stored(claim, reply);
    return new OrderStore.Gate(stored.sql() + " RETURNING 1", stored.args(), () -> claim.completed = true,
        stored::lost);
  }

  /**
   * Claims the key of an {@link #unclaimed} request as the gate of the statement that stores its change (a buyer
   * act): the change is stored only by the run that holds the key, and the claim costs no statement of its own. Once
   * the gate let it through, {@code claim} holds the key as {@link #begin}'s would (its answer is then completed, or
   * the key released, as for a claimed request); a closed gate fails with {@link KeyTaken}, and the request goes
   * the claiming way. One gate per request: its retries after a version conflict pass it again. Null for a request
   * that holds its key already (one that went the claiming way): its change needs no gate.
   */
  public OrderStore.Gate changeGate(Claim claim) {
    if (claim.token != null) {
      return null;
    }
    String token = Ids.newId(CLAIM_TOKEN_PREFIX);
    return new OrderStore.Gate(CLAIM_GATE, claimArgs(claim, token, now()), () -> claim.token = token, KeyTaken::new);
  }

  /** What claiming {@code claim}'s key under {@code token} at {@code now} writes, in {@link #CLAIM_INSERT}'s order. */
  private List<Object> claimArgs(Claim claim, String token, OffsetDateTime now) {
    return List.of(claim.scope, claim.key, Buffer.buffer(claim.requestHash), now.plus(LEASE), now.plus(RETENTION),
        instanceId, token);
  }

  /** The statement that stores {@code reply} for {@code claim} (a {@code %s} per argument), and its failure when it writes no row. */
  private record Stored(String sql, List<Object> args, Completion completion) {
    boolean claimed() {
      return completion != null;
    }

    RuntimeException lost() {
      return claimed() ? new IllegalStateException("idempotency claim lost before its answer was stored") : new KeyTaken();
    }
  }

  private Stored stored(Claim claim, Reply reply) {
    if (reply.status() >= 500) {
      throw new IllegalArgumentException("a 5xx answer is never stored, but got " + reply.status());
    }
    KeyVault.Sealed sealed = vault.seal(StoredAnswer.encode(reply), claim.associatedData());
    Buffer ciphertext = Buffer.buffer(sealed.ciphertext());
    if (claim.token == null) {
      OffsetDateTime now = now();
      return new Stored(STORE, List.of(claim.scope, claim.key, Buffer.buffer(claim.requestHash), now.plus(RETENTION),
          reply.status(), sealed.keyId(), ciphertext, now, now), null);
    }
    Completion completion = new Completion(claim.scope, claim.key, claim.token, reply.status(), sealed.keyId(),
        ciphertext);
    return new Stored(COMPLETE, completion.args(), completion);
  }

  /** Forgets an unanswered claim so the request can be retried (nothing to forget for an {@link #unclaimed} one). */
  public Future<Void> release(Claim claim) {
    return claim.token == null ? Future.succeededFuture() : release(claim, 1);
  }

  /**
   * Tries again, after a pause growing fourfold, when the release itself fails: a request that failed because
   * the database was too busy is likely to find it busy for its release too, and a key left claimed answers
   * every retry of the client "in progress" until its lease ends.
   */
  private Future<Void> release(Claim claim, int attempt) {
    return pool.preparedQuery(RELEASE)
        .execute(Tuple.of(claim.scope, claim.key, claim.token))
        .<Void>mapEmpty()
        .recover(failure -> {
          Context context = Vertx.currentContext();
          if (attempt >= RELEASE_ATTEMPTS_MAX || context == null) {
            if (owedReleases.size() < OWED_RELEASES_MAX) {
              owedReleases.put(claim.id(), claim.token);
            }
            return Future.failedFuture(failure);
          }
          long pauseMs = RELEASE_PAUSE_MS << (2 * (attempt - 1));
          return context.owner().timer(pauseMs).compose(fired -> release(claim, attempt + 1));
        });
  }

  /** Deletes at most {@code batchMax} expired records; answers how many (for the sweeper). */
  public Future<Integer> purgeExpired(int batchMax) {
    if (batchMax <= 0) {
      throw new IllegalArgumentException("batchMax must be greater than 0, but was " + batchMax);
    }
    return pool.preparedQuery(PURGE).execute(Tuple.of(now(), batchMax)).map(rows -> rows.rowCount());
  }

  private Reply open(Claim claim, Row row) {
    KeyVault.Sealed sealed = new KeyVault.Sealed(row.getString("response_key_id"),
        row.getBuffer("response_sealed").getBytes());
    Reply stored = StoredAnswer.decode(vault.open(sealed, claim.associatedData()));
    Map<String, String> headers = new HashMap<>(stored.headers());
    headers.put(REPLAYED_HEADER, "true");
    return new Reply(stored.status(), stored.contentType(), stored.body(), headers);
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  /**
   * An {@link #unclaimed} request found, when storing its answer, that the key holds another request's record: its
   * transaction rolls back, and the request is answered the claiming way.
   */
  public static final class KeyTaken extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KeyTaken() {
      super("the Idempotency-Key has another request's record", null, false, false);
    }
  }

  /** Either a claim to run the request under, or the stored answer to replay. */
  public record Outcome(Claim claim, Reply replay) {}

  /** This request's hold on an Idempotency-Key. */
  public static final class Claim {
    private final String scope;
    private final String key;
    private final byte[] requestHash;
    /**
     * Tells this run of the key from a later one that took it over; only the holder stores or releases. Null for an
     * {@link #unclaimed} request, which holds no claim (until its change's {@link #changeGate} let it through).
     */
    private String token;
    private boolean completed;

    Claim(String scope, String key, byte[] requestHash, String token) {
      this.scope = scope;
      this.key = key;
      this.requestHash = requestHash.clone();
      this.token = token;
    }

    /** True once the answer is stored. */
    public boolean completed() {
      return completed;
    }

    /** The key within its scope, as one string. */
    String id() {
      return scope + "\n" + key;
    }

    byte[] associatedData() {
      return ("idempotency:" + scope + ":" + key).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "Claim[" + scope + "]";
    }
  }
}
