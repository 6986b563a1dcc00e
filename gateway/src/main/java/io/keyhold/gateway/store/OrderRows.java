package io.keyhold.gateway.store;

import io.keyhold.escrow.Effect;
import io.keyhold.escrow.EvidenceEvent;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.escrow.Outcome;
import io.keyhold.escrow.Posting;
import io.keyhold.escrow.Rejection;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.crypto.SecretHasher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orders' PostgreSQL store: loads an escrow-core {@link Order} and persists each
 * {@link Transition} it makes atomically, in ONE transaction — the {@code orders} row guarded by the
 * version it was read at, the {@code order_units} projection, the postings as one ledger transaction
 * per transition, the evidence events and an {@code outbox} row per effect. The statements of a
 * transition are pipelined (all written, then joined) and every result is checked: one failure
 * fails the future, which rolls the whole transaction back.
 *
 * <p>Concurrency is optimistic: an order is read without a lock; the update names the version read;
 * when another transaction moved the order first, the work is rolled back and redone from a fresh
 * read, at most {@value #CONFLICT_ATTEMPTS_MAX} times, then fails with {@link VersionConflict}.
 *
 * <p>After a commit the change is announced through {@link OrderChanges}.
 *
 * <pre>{@code
 * store.apply(orderId, new OrderEvent.Reveal())          // Future<Outcome>
 * store.apply(orderId, merchantId, (tx, current, now) -> ...extra writes in tx...
 *     .map(done -> List.of(event)))                       // Future<Applied>
 * }</pre>
 */
public final class OrderStore {
  /** Reads and retries of one change when other transactions keep moving the order first. */
  public static final int CONFLICT_ATTEMPTS_MAX = 8;
  /** Events one {@link #apply(String, String, Decision)} may chain (a delivery plus a duplicate per unit). */
  public static final int EVENTS_PER_APPLY_MAX = 1 + Order.MAX_QUANTITY;
  /** The longest pause between two attempts after a conflict. */
  public static final long CONFLICT_BACKOFF_MS_MAX = 20;

  private static final Logger LOG = LoggerFactory.getLogger(OrderStore.class);

  static final String COLUMNS = "merchant_id, id, adapter_type, reservation_id, reserved_until, buyer_ref, version,"
      + " data";
  private static final String FIND = "SELECT " + COLUMNS + " FROM orders WHERE id = $1";
  private static final String FIND_FOR_MERCHANT = "SELECT " + COLUMNS
      + " FROM orders WHERE merchant_id = $1 AND id = $2";
  private static final String FIND_WITH_TOKEN = "SELECT " + COLUMNS + ", token_hash FROM orders WHERE id = $1";
  private static final String INSERT = "INSERT INTO orders (merchant_id, id, sku_id, state, version, next_action_at,"
      + " quantity, unit_price_minor, currency, token_hash, buyer_ref, adapter_type, reservation_id, reserved_until,"
      + " data, placed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
      + " $16, $17)";
  private static final String UPDATE = "UPDATE orders SET state = $3, version = $4, next_action_at = $5, data = $6,"
      + " updated_at = $7 WHERE merchant_id = $1 AND id = $2 AND version = $8";
  private static final String UPSERT_UNITS = "INSERT INTO order_units (merchant_id, order_id, unit_index, state,"
      + " key_ref, fingerprint, deliveries, replacements, delivered_at, checked_at)"
      + " SELECT $1, $2, u.i, u.s, u.k, u.f, u.d, u.r, u.da, u.ca FROM unnest($3::int[], $4::text[], $5::text[],"
      + " $6::text[], $7::int[], $8::int[], $9::timestamptz[], $10::timestamptz[]) AS u(i, s, k, f, d, r, da, ca)"
      + " ON CONFLICT (merchant_id, order_id, unit_index) DO UPDATE SET state = excluded.state,"
      + " key_ref = excluded.key_ref, fingerprint = excluded.fingerprint, deliveries = excluded.deliveries,"
      + " replacements = excluded.replacements, delivered_at = excluded.delivered_at, checked_at = excluded.checked_at";
  private static final String INSERT_POSTINGS = "INSERT INTO ledger_postings (merchant_id, order_id, txn_id, account,"
      + " amount_minor, currency, created_at) SELECT $1, $2, p.t, p.a, p.m, p.c, $7"
      + " FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[]) AS p(t, a, m, c)";
  private static final String INSERT_EVIDENCE = "INSERT INTO evidence_events (merchant_id, order_id, seq, type, at,"
      + " data, prev_hash, hash) SELECT $1, $2, e.s, e.t, e.a, e.d::jsonb, e.p, e.h"
      + " FROM unnest($3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[])"
      + " AS e(s, t, a, d, p, h)";
  private static final String INSERT_OUTBOX = "INSERT INTO outbox (merchant_id, order_id, kind, idempotency_key,"
      + " payload, next_attempt_at, created_at) SELECT $1, $2, o.k, o.i, o.p::jsonb, o.n, $6"
      + " FROM unnest($3::text[], $4::text[], $5::text[], $7::timestamptz[]) AS o(k, i, p, n)"
      + " ON CONFLICT (idempotency_key) DO NOTHING";

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final OrderChanges changes;

  public OrderStore(Vertx vertx, Pool pool, Clock clock, OrderChanges changes) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.changes = Objects.requireNonNull(changes, "changes");
  }

  /** The same store working through {@code other} (the order engine's own pool). */
  public OrderStore using(Pool other) {
    return new OrderStore(vertx, other, clock, changes);
  }

  public Pool pool() {
    return pool;
  }

  public Clock clock() {
    return clock;
  }

  public OrderChanges changes() {
    return changes;
  }

  /** The clock's instant as escrow-core and PostgreSQL keep it (microseconds). */
  public Instant now() {
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }

  // ---- reading

  /** The order, or null when there is none with this id. For internal flows (any merchant). */
  public Future<StoredOrder> load(String orderId) {
    return load(pool, orderId);
  }

  /** {@link #load(String)} through {@code client} (a transaction's connection). */
  public Future<StoredOrder> load(SqlClient client, String orderId) {
    return client.preparedQuery(FIND).execute(Tuple.of(orderId)).map(OrderStore::single);
  }

  /** The merchant's order, or null when it has none with this id (another merchant's order is not found). */
  public Future<StoredOrder> load(String orderId, String merchantId) {
    return load(pool, orderId, merchantId);
  }

  /** {@link #load(String, String)} through {@code client}. */
  public Future<StoredOrder> load(SqlClient client, String orderId, String merchantId) {
    if (merchantId == null) {
      return load(client, orderId);
    }
    return client.preparedQuery(FIND_FOR_MERCHANT).execute(Tuple.of(merchantId, orderId)).map(OrderStore::single);
  }

  /**
   * The order when {@code token} is its buyer token, else null — the same answer for "no such order"
   * and "wrong token". Compares hashes in constant time.
   */
  public Future<StoredOrder> loadForBuyer(String orderId, String token) {
    if (token == null || token.isEmpty() || token.length() > OrderTokens.TOKEN_LENGTH_MAX) {
      return Future.succeededFuture(null);
    }
    byte[] presented = SecretHasher.hash(token);
    return pool.preparedQuery(FIND_WITH_TOKEN).execute(Tuple.of(orderId)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      return MessageDigest.isEqual(presented, row.getBuffer("token_hash").getBytes()) ? toStored(row) : null;
    });
  }

  private static StoredOrder single(RowSet<Row> rows) {
    return rows.size() == 0 ? null : toStored(rows.iterator().next());
  }

  /** Restores a row selected with {@link #COLUMNS}. */
  public static StoredOrder toStored(Row row) {
    Order order = OrderCodec.decode(row.getJsonObject("data"));
    long version = row.getLong("version");
    if (order.version() != version) {
      throw new IllegalStateException("order " + order.id() + " has version " + version + " in its row but "
          + order.version() + " in its data");
    }
    OffsetDateTime reservedUntil = row.getOffsetDateTime("reserved_until");
    return new StoredOrder(order, row.getString("adapter_type"), row.getString("reservation_id"),
        reservedUntil == null ? null : reservedUntil.toInstant(), row.getString("buyer_ref"));
  }

  // ---- placing

  /**
   * Stores a newly placed order ({@link Order#place}) through {@code tx}, the caller's transaction:
   * the row, its units and its first evidence event. Call {@link #announce} after the commit.
   */
  public Future<Void> insert(SqlClient tx, Transition placed, NewOrderRow row) {
    Order order = placed.order();
    if (order.version() != 1 || !placed.postings().isEmpty() || !placed.effects().isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("not a freshly placed order: " + order.id()));
    }
    Tuple tuple = Tuple.tuple()
        .addString(order.merchantId())
        .addString(order.id())
        .addString(order.skuId())
        .addString(order.state().code())
        .addLong(order.version())
        .addOffsetDateTime(odt(order.nextActionAt()))
        .addInteger(order.quantity())
        .addLong(order.unitPrice().minorUnits())
        .addString(order.unitPrice().currency().getCurrencyCode())
        .addBuffer(Buffer.buffer(row.tokenHash()))
        .addString(row.buyerRef())
        .addString(row.adapterType())
        .addString(row.reservationId())
        .addOffsetDateTime(odt(row.reservedUntil()))
        .addValue(OrderCodec.encode(order))
        .addOffsetDateTime(odt(order.placedAt()))
        .addOffsetDateTime(odt(order.updatedAt()));
    List<Future<RowSet<Row>>> statements = new ArrayList<>();
    statements.add(tx.preparedQuery(INSERT).execute(tuple));
    statements.add(upsertUnits(tx, order));
    statements.add(insertEvidence(tx, order, placed.evidence()));
    return joinAll(statements).mapEmpty();
  }

  /**
   * What the gateway keeps beside a new order.
   *
   * @param tokenHash SHA-256 of the buyer's order token
   * @param buyerRef the shop's buyer reference, or null
   * @param adapterType the merchant's adapter type
   * @param reservationId the checkout reservation, or null
   * @param reservedUntil when it lapses, or null
   */
  public record NewOrderRow(byte[] tokenHash, String buyerRef, String adapterType, String reservationId,
      Instant reservedUntil) {
    public NewOrderRow {
      Objects.requireNonNull(tokenHash, "tokenHash");
      Objects.requireNonNull(adapterType, "adapterType");
    }
  }

  // ---- changing

  /**
   * Works out the events to apply, inside the transaction that will store them. {@code tx} may be
   * used for writes that belong with the change (a delivered key, a payment row); they roll back
   * with it. Answer no events to change nothing. Runs again from scratch after a version conflict.
   */
  @FunctionalInterface
  public interface Decision {
    Future<List<OrderEvent>> decide(SqlClient tx, StoredOrder current, Instant now);
  }

  /**
   * What a change did.
   *
   * @param before the order as read (null when there is no such order)
   * @param after the order as stored (equal to {@code before} when nothing changed)
   * @param outcome a {@link Rejection} (nothing stored), or one {@link Transition} merging every event
   *     applied (postings, evidence and effects in order; {@code duplicate} when nothing changed)
   */
  public record Applied(StoredOrder before, StoredOrder after, Outcome outcome) {
    /** True when the order was found. */
    public boolean found() {
      return before != null;
    }

    /** True when a change was stored. */
    public boolean changed() {
      return outcome instanceof Transition transition && !transition.duplicate();
    }

    public Rejection rejection() {
      return outcome instanceof Rejection rejection ? rejection : null;
    }
  }

  /** Applies one event at the clock's now, in its own transaction; a missing order fails the future. */
  public Future<Outcome> apply(String orderId, OrderEvent event) {
    return apply(orderId, null, (tx, current, now) -> Future.succeededFuture(List.of(event))).compose(applied ->
        applied.found()
            ? Future.succeededFuture(applied.outcome())
            : Future.failedFuture(new OrderNotFoundException(orderId)));
  }

  /**
   * Loads the order (the merchant's, when {@code merchantId} is not null), asks {@code decision} for
   * events, applies them in turn and stores everything in one transaction; retries from a fresh
   * read after a version conflict. An order not found answers {@code Applied(null, null, null)}.
   * A rejection of any event rolls everything back, the decision's own writes included.
   */
  public Future<Applied> apply(String orderId, String merchantId, Decision decision) {
    return attempt(orderId, merchantId, decision, 1);
  }

  private Future<Applied> attempt(String orderId, String merchantId, Decision decision, int attempt) {
    return pool.withTransaction(tx -> load(tx, orderId, merchantId).compose(current -> {
      if (current == null) {
        return Future.succeededFuture(new Applied(null, null, null));
      }
      Instant now = now();
      return decision.decide(tx, current, now).compose(events -> {
        Outcome outcome = decide(current.order(), events, now);
        if (outcome instanceof Rejection rejection) {
          return Future.failedFuture(new Rejected(rejection, current));
        }
        Transition merged = (Transition) outcome;
        StoredOrder after = current.with(merged.order());
        if (merged.duplicate()) {
          return Future.succeededFuture(new Applied(current, current, merged));
        }
        return persist(tx, current.order(), merged, now).map(written -> new Applied(current, after, merged));
      });
    })).recover(failure -> {
      if (failure instanceof Rejected rejected) {
        return Future.succeededFuture(new Applied(rejected.current, rejected.current, rejected.rejection));
      }
      if (failure instanceof VersionConflict && attempt < CONFLICT_ATTEMPTS_MAX) {
        long pauseMs = 1 + ThreadLocalRandom.current().nextLong(Math.min(CONFLICT_BACKOFF_MS_MAX, 2L * attempt));
        LOG.debug("order {} changed under attempt {}; retrying in {} ms", orderId, attempt, pauseMs);
        return vertx.timer(pauseMs).compose(ignored -> attempt(orderId, merchantId, decision, attempt + 1));
      }
      return Future.failedFuture(failure);
    }).onSuccess(applied -> {
      if (applied.changed()) {
        announce(applied.after().order());
      }
    });
  }

  /**
   * Applies {@code events} in turn to {@code order} at {@code now}: the first rejection, or one
   * transition merging all accepted ones (a duplicate when none changed anything).
   */
  public static Outcome decide(Order order, List<OrderEvent> events, Instant now) {
    if (events.size() > EVENTS_PER_APPLY_MAX) {
      throw new IllegalArgumentException("at most " + EVENTS_PER_APPLY_MAX + " events per change, but got "
          + events.size());
    }
    Order current = order;
    List<Posting> postings = new ArrayList<>();
    List<EvidenceEvent> evidence = new ArrayList<>();
    List<Effect> effects = new ArrayList<>();
    for (OrderEvent event : events) {
      Outcome outcome = current.on(event, now);
      if (outcome instanceof Rejection rejection) {
        return rejection;
      }
      Transition transition = (Transition) outcome;
      if (!transition.duplicate()) {
        current = transition.order();
        postings.addAll(transition.postings());
        evidence.addAll(transition.evidence());
        effects.addAll(transition.effects());
      }
    }
    boolean unchanged = current == order;
    return new Transition(current, postings, evidence, effects, unchanged, order.state());
  }

  /**
   * Writes the change from {@code before} to {@code change.order()} through {@code tx}: the version-
   * checked row update, the units, the postings (one ledger transaction per order version reached),
   * the evidence and the outbox rows, pipelined. Fails with {@link VersionConflict} when the row was
   * not at {@code before}'s version. The caller commits, then calls {@link #announce}.
   */
  public Future<Void> persist(SqlClient tx, Order before, Transition change, Instant now) {
    Order after = change.order();
    if (after.version() <= before.version() || !after.id().equals(before.id())) {
      return Future.failedFuture(new IllegalArgumentException("order " + before.id() + " version "
          + after.version() + " does not follow " + before.version()));
    }
    if (!Posting.isBalanced(change.postings())) {
      // Escrow-core guarantees it per transition; a merged change must still balance.
      return Future.failedFuture(new IllegalStateException("postings of order " + before.id() + " do not balance"));
    }
    Tuple update = Tuple.tuple()
        .addString(after.merchantId())
        .addString(after.id())
        .addString(after.state().code())
        .addLong(after.version())
        .addOffsetDateTime(odt(after.nextActionAt()))
        .addValue(OrderCodec.encode(after))
        .addOffsetDateTime(odt(after.updatedAt()))
        .addLong(before.version());
    Future<RowSet<Row>> updated = tx.preparedQuery(UPDATE).execute(update);
    List<Future<RowSet<Row>>> statements = new ArrayList<>();
    statements.add(upsertUnits(tx, after));
    if (!change.postings().isEmpty()) {
      statements.add(insertPostings(tx, after, change.postings(), now));
    }
    if (!change.evidence().isEmpty()) {
      statements.add(insertEvidence(tx, after, change.evidence()));
    }
    if (!change.effects().isEmpty()) {
      statements.add(insertOutbox(tx, after, change.effects(), now));
    }
    // Wait for every statement, then judge: the row update first, since a lost race also makes the
    // evidence insert fail (unique order_id, seq) and that must read as a conflict, not an error.
    List<Future<?>> all = new ArrayList<>(statements);
    all.add(updated);
    return Future.join(all).transform(joined -> {
      if (updated.failed()) {
        return Future.failedFuture(updated.cause());
      }
      if (updated.result().rowCount() != 1) {
        return Future.failedFuture(new VersionConflict(before.id(), before.version()));
      }
      for (Future<RowSet<Row>> statement : statements) {
        if (statement.failed()) {
          return Future.failedFuture(statement.cause());
        }
      }
      return Future.succeededFuture();
    });
  }

  /** Announces a committed change (after the transaction that stored it committed). */
  public void announce(Order order) {
    try {
      changes.published(order);
    } catch (RuntimeException e) {
      // A listener's failure must not turn a committed change into a reported failure.
      LOG.warn("an order change listener failed for order {}: {}", order.id(), e.toString());
    }
  }

  private static Future<RowSet<Row>> upsertUnits(SqlClient tx, Order order) {
    int n = order.quantity();
    Integer[] index = new Integer[n];
    String[] state = new String[n];
    String[] keyRef = new String[n];
    String[] fingerprint = new String[n];
    Integer[] deliveries = new Integer[n];
    Integer[] replacements = new Integer[n];
    OffsetDateTime[] deliveredAt = new OffsetDateTime[n];
    OffsetDateTime[] checkedAt = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      OrderUnit unit = order.units().get(i);
      index[i] = unit.index();
      state[i] = unit.state().code();
      keyRef[i] = unit.keyRef();
      fingerprint[i] = unit.fingerprint();
      deliveries[i] = unit.deliveries();
      replacements[i] = unit.replacements();
      deliveredAt[i] = odt(unit.deliveredAt());
      checkedAt[i] = odt(unit.checkedAt());
    }
    return tx.preparedQuery(UPSERT_UNITS).execute(Tuple.tuple()
        .addString(order.merchantId()).addString(order.id())
        .addArrayOfInteger(index).addArrayOfString(state).addArrayOfString(keyRef).addArrayOfString(fingerprint)
        .addArrayOfInteger(deliveries).addArrayOfInteger(replacements)
        .addArrayOfOffsetDateTime(deliveredAt).addArrayOfOffsetDateTime(checkedAt));
  }

  private static Future<RowSet<Row>> insertPostings(SqlClient tx, Order order, List<Posting> postings, Instant now) {
    int n = postings.size();
    String[] txn = new String[n];
    String[] account = new String[n];
    Long[] amount = new Long[n];
    String[] currency = new String[n];
    String txnId = ledgerTxnId(order);
    for (int i = 0; i < n; i++) {
      Posting posting = postings.get(i);
      txn[i] = txnId;
      account[i] = posting.account();
      amount[i] = posting.amount().minorUnits();
      currency[i] = posting.amount().currency().getCurrencyCode();
    }
    return tx.preparedQuery(INSERT_POSTINGS).execute(Tuple.tuple()
        .addString(order.merchantId()).addString(order.id())
        .addArrayOfString(txn).addArrayOfString(account).addArrayOfLong(amount).addArrayOfString(currency)
        .addOffsetDateTime(odt(now)));
  }

  /**
   * The ledger transaction id of a stored change: {@code <order id>/<version>}. A change merging
   * several events is one ledger transaction (it sums to zero as a whole).
   */
  public static String ledgerTxnId(Order order) {
    return order.id() + "/" + order.version();
  }

  private static Future<RowSet<Row>> insertEvidence(SqlClient tx, Order order, List<EvidenceEvent> events) {
    int n = events.size();
    Long[] seq = new Long[n];
    String[] type = new String[n];
    OffsetDateTime[] at = new OffsetDateTime[n];
    String[] data = new String[n];
    String[] prev = new String[n];
    String[] hash = new String[n];
    for (int i = 0; i < n; i++) {
      EvidenceEvent event = events.get(i);
      seq[i] = event.seq();
      type[i] = event.type().code();
      at[i] = odt(event.at());
      data[i] = OrderCodec.details(event).encode();
      prev[i] = event.prevHash();
      hash[i] = event.hash();
    }
    return tx.preparedQuery(INSERT_EVIDENCE).execute(Tuple.tuple()
        .addString(order.merchantId()).addString(order.id())
        .addArrayOfLong(seq).addArrayOfString(type).addArrayOfOffsetDateTime(at).addArrayOfString(data)
        .addArrayOfString(prev).addArrayOfString(hash));
  }

  private static Future<RowSet<Row>> insertOutbox(SqlClient tx, Order order, List<Effect> effects, Instant now) {
    int n = effects.size();
    String[] kind = new String[n];
    String[] key = new String[n];
    String[] payload = new String[n];
    OffsetDateTime[] due = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      Effect effect = effects.get(i);
      kind[i] = effect.kind().code();
      key[i] = effect.idempotencyKey();
      JsonObject json = EffectCodec.encode(effect);
      payload[i] = json.encode();
      // A repeated check follows an UNKNOWN verdict: ask the validator again only after a pause.
      due[i] = odt(effect instanceof Effect.ValidateUnit validate && validate.attempt() > 1
          ? now.plus(OutboxBackoff.recheckDelay(validate.attempt()))
          : now);
    }
    return tx.preparedQuery(INSERT_OUTBOX).execute(Tuple.tuple()
        .addString(order.merchantId()).addString(order.id())
        .addArrayOfString(kind).addArrayOfString(key).addArrayOfString(payload)
        .addOffsetDateTime(odt(now)).addArrayOfOffsetDateTime(due));
  }

  @SuppressWarnings("unchecked")
  private static Future<List<RowSet<Row>>> joinAll(List<Future<RowSet<Row>>> statements) {
    return Future.join(new ArrayList<Future<?>>(statements)).transform(joined -> {
      for (Future<RowSet<Row>> statement : statements) {
        if (statement.failed()) {
          return Future.failedFuture(statement.cause());
        }
      }
      List<RowSet<Row>> results = new ArrayList<>();
      statements.forEach(statement -> results.add(statement.result()));
      return Future.succeededFuture(results);
    });
  }

  static OffsetDateTime odt(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  /** Another transaction changed the order first; the work was rolled back. */
  public static final class VersionConflict extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VersionConflict(String orderId, long version) {
      super("order " + orderId + " moved past version " + version + " while this change was made", null, false, false);
    }
  }

  /** No order with this id. */
  public static final class OrderNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OrderNotFoundException(String orderId) {
      super("no order " + orderId, null, false, false);
    }
  }

  /** Carries a rejection out of the transaction, rolling it back. */
  private static final class Rejected extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Rejection rejection;
    private final transient StoredOrder current;

    Rejected(Rejection rejection, StoredOrder current) {
      super(rejection.code().code(), null, false, false);
      this.rejection = rejection;
      this.current = current;
    }
  }
}
