package io.keyhold.gateway.store;

import io.keyhold.escrow.Accounts;
import io.keyhold.escrow.Effect;
import io.keyhold.escrow.EffectKind;
import io.keyhold.escrow.EvidenceEvent;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.escrow.Posting;
import io.keyhold.escrow.Transition;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SQL of orders, over the five tables one order lives in: the {@code orders} row (escrow-core's
 * {@link Order} as JSON, guarded by its version), the {@code order_units} projection, the
 * {@code ledger_postings} (one ledger transaction per stored change), the {@code evidence_events} and
 * an {@code outbox} row per effect. Reads restore a {@link StoredOrder}; {@link #write} stores one
 * change, its statements pipelined (all sent, then joined) and every result checked: one failure
 * fails the future, which rolls the caller's transaction back. Decides nothing: {@link OrderStore}
 * runs the transaction and escrow-core the order.
 */
final class OrderRows {
  /** The columns {@link #toStored} restores an order from. */
  static final String COLUMNS = "merchant_id, id, adapter_type, reservation_id, reserved_until, buyer_ref, version,"
      + " data";
  private static final String FIND = "SELECT " + COLUMNS + " FROM orders WHERE id = $1";
  private static final String FIND_FOR_MERCHANT = "SELECT " + COLUMNS
      + " FROM orders WHERE merchant_id = $1 AND id = $2";
  private static final String FIND_TOKEN_HASH = "SELECT token_hash FROM orders WHERE id = $1";
  // Typed, as the row comes from a SELECT (written only when the gate lets it through), not from VALUES.
  private static final String INSERT_ORDER = "INSERT INTO orders (merchant_id, id, sku_id, state, version,"
      + " next_action_at, quantity, unit_price_minor, currency, token_hash, buyer_ref, adapter_type, reservation_id,"
      + " reserved_until, data, placed_at, updated_at) SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint,"
      + " $6::timestamptz, $7::int, $8::bigint, $9::text, $10::bytea, $11::text, $12::text, $13::text,"
      + " $14::timestamptz, $15::jsonb, $16::timestamptz, $17::timestamptz WHERE EXISTS (SELECT 1 FROM gate)"
      + " RETURNING id";
  private static final String UPDATE_ORDER = "UPDATE orders SET state = $3, version = $4, next_action_at = $5,"
      + " data = $6, updated_at = $7 WHERE merchant_id = $1 AND id = $2 AND version = $8 RETURNING id";
  /** {@link #UPDATE_ORDER} made only when the {@code gate} CTE before it answered a row. */
  private static final String UPDATE_ORDER_GATED = UPDATE_ORDER.replace(" RETURNING id",
      " AND EXISTS (SELECT 1 FROM gate) RETURNING id");

  // The rows beside an order, each written only when the order's own row was ({@code FROM written}), so a
  // change is one statement: atomic on its own, and a lost version race writes nothing at all.
  private static final String UNITS = "INSERT INTO order_units (merchant_id, order_id, unit_index, state,"
      + " key_ref, fingerprint, deliveries, replacements, delivered_at, checked_at)"
      + " SELECT $1, $2, u.i, u.s, u.k, u.f, u.d, u.r, u.da, u.ca FROM written, unnest(%s::int[], %s::text[],"
      + " %s::text[], %s::text[], %s::int[], %s::int[], %s::timestamptz[], %s::timestamptz[])"
      + " AS u(i, s, k, f, d, r, da, ca)"
      + " ON CONFLICT (merchant_id, order_id, unit_index) DO UPDATE SET state = excluded.state,"
      + " key_ref = excluded.key_ref, fingerprint = excluded.fingerprint, deliveries = excluded.deliveries,"
      + " replacements = excluded.replacements, delivered_at = excluded.delivered_at, checked_at = excluded.checked_at";
  private static final String EVIDENCE = "INSERT INTO evidence_events (merchant_id, order_id, seq, type, at,"
      + " data, prev_hash, hash) SELECT $1, $2, e.s, e.t, e.a, e.d::jsonb, e.p, e.h FROM written,"
      + " unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::text[], %s::text[], %s::text[])"
      + " AS e(s, t, a, d, p, h)";
  private static final String POSTINGS = "INSERT INTO ledger_postings (merchant_id, order_id, txn_id, account,"
      + " amount_minor, currency, created_at) SELECT $1, $2, p.t, p.a, p.m, p.c, %s::timestamptz FROM written,"
      + " unnest(%s::text[], %s::text[], %s::bigint[], %s::text[]) AS p(t, a, m, c)";
  // A notify row only for a merchant with a webhook endpoint when the change commits: for any other it would be
  // claimed, run and marked done for nothing (four of a lifecycle's ten rows in a flash sale).
  // A row claimed as it is written (o.c: the instance; o.a: its first attempt; o.n: its lease) is run by that
  // instance once the change commits, with no claim statement.
  private static final String OUTBOX = "INSERT INTO outbox (merchant_id, order_id, kind, idempotency_key,"
      + " payload, next_attempt_at, attempts, claimed_by, created_at)"
      + " SELECT $1, $2, o.k, o.i, o.p::jsonb, o.n, o.a, o.c, %s::timestamptz FROM written,"
      + " unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::int[], %s::text[]) AS o(k, i, p, n, a, c)"
      + " WHERE o.k <> '" + EffectKind.NOTIFY.code() + "' OR EXISTS (SELECT 1 FROM merchants m"
      + " WHERE m.id = $1 AND m.webhook_url IS NOT NULL)"
      + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key, claimed_by";

  /**
   * A placed order: its row, units and first evidence, in one statement ($1..$17 the row), written only when the
   * {@code gate} CTE that goes first answers a row; the riders follow it.
   */
  private static final String INSERT = " written AS (" + INSERT_ORDER + "),"
      + " units AS (" + UNITS.formatted(OrderStore.placeholders(18, 8)) + "),"
      + " evidence AS (" + EVIDENCE.formatted(OrderStore.placeholders(26, 6)) + ")";
  /** The parameters of {@link #INSERT}: the gate's and the riders' follow them. */
  private static final int INSERT_PARAMS = 31;
  /** The gate of an order stored whatever else happens. */
  private static final String OPEN_GATE = "SELECT 1";
  /** What a change writes beside the order's row, each only when the row was written. */
  private static final String UPDATE_BESIDE = " units AS (" + UNITS.formatted(OrderStore.placeholders(9, 8)) + "),"
      + " postings AS (" + POSTINGS.formatted(OrderStore.placeholders(17, 5)) + "),"
      + " evidence AS (" + EVIDENCE.formatted(OrderStore.placeholders(22, 6)) + "),"
      + " effects AS (" + OUTBOX.formatted(OrderStore.placeholders(28, 7)) + ")";
  /**
   * A change: the version-checked row update ($1..$8), units, postings, evidence and outbox rows, in one
   * statement; it writes nothing and answers 0 when the row was not at the expected version.
   */
  private static final String UPDATE = "WITH written AS (" + UPDATE_ORDER + ")," + UPDATE_BESIDE;
  /**
   * {@link #UPDATE} behind a gate ({@code %s}: its statement, numbered after the change's parameters): the gate's
   * write is made whatever the version check finds, the change only when the gate answered a row.
   */
  private static final String GATED_UPDATE = "WITH gate AS (%s), written AS (" + UPDATE_ORDER_GATED + "),"
      + UPDATE_BESIDE;
  /** The parameters of {@link #UPDATE}: a rider's follow them. */
  private static final int UPDATE_PARAMS = 34;
  private static final String UPDATE_ANSWER = " SELECT count(*) AS written,"
      + " (SELECT array_agg(id ORDER BY id) FROM effects WHERE claimed_by IS NOT NULL) AS claimed_ids,"
      + " (SELECT array_agg(idempotency_key ORDER BY id) FROM effects WHERE claimed_by IS NOT NULL) AS claimed_keys,"
      + " (SELECT count(*) FROM effects WHERE claimed_by IS NULL) AS unclaimed FROM written";
  /** {@link #UPDATE_ANSWER} and whether the gate answered a row. */
  private static final String GATED_UPDATE_ANSWER = UPDATE_ANSWER.replace(" SELECT count(*) AS written,",
      " SELECT count(*) AS written, (SELECT count(*) FROM gate) AS gated,");
  /**
   * Keeps merchant_deposits in step with a change's postings to the merchant's deposit (compensation paid). The
   * caller holds the row locked since it read what the deposit could pay; the CHECK refuses an overdraft.
   */
  private static final String MOVE_DEPOSIT = "UPDATE merchant_deposits SET balance_minor = balance_minor + $2,"
      + " updated_at = $4 WHERE merchant_id = $1 AND currency = $3";
  private static final String SET_RESERVATION = "UPDATE orders SET reservation_id = $3, reserved_until = $4"
      + " WHERE merchant_id = $1 AND id = $2";

  /** The order, or null when there is none with this id (any merchant's). */
  static Future<StoredOrder> load(SqlClient client, String orderId) {
    return client.preparedQuery(FIND).execute(Tuple.of(orderId)).map(OrderRows::single);
  }

  /** The merchant's order (any merchant's when {@code merchantId} is null), or null when it has none with this id. */
  static Future<StoredOrder> load(SqlClient client, String orderId, String merchantId) {
    if (merchantId == null) {
      return load(client, orderId);
    }
    return client.preparedQuery(FIND_FOR_MERCHANT).execute(Tuple.of(merchantId, orderId)).map(OrderRows::single);
  }

  /** The SHA-256 of the order's buyer token, or null when there is no such order. */
  static Future<byte[]> tokenHash(SqlClient client, String orderId) {
    return client.preparedQuery(FIND_TOKEN_HASH).execute(Tuple.of(orderId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getBuffer("token_hash").getBytes());
  }

  private static StoredOrder single(RowSet<Row> rows) {
    return rows.size() == 0 ? null : toStored(rows.iterator().next());
  }

  /** Restores a row selected with {@link #COLUMNS}. */
  static StoredOrder toStored(Row row) {
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

  /**
   * Stores a newly placed order ({@link Order#place}) through {@code client} in one statement: the row, its units and
   * its first evidence event, with {@code gate} first (null: none) and {@code riders} after. Answers whether the order
   * was stored: false when the gate answered no row, and then the statement wrote only what the gate did.
   */
  static Future<Boolean> insert(SqlClient client, Transition placed, OrderStore.NewOrderRow row, OrderStore.Gate gate,
      List<OrderStore.Rider> riders) {
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
    addUnits(tuple, order);
    addEvidence(tuple, placed.evidence());
    if (tuple.size() != INSERT_PARAMS) {
      throw new IllegalStateException("the insert statement takes " + INSERT_PARAMS + " parameters, not " + tuple.size());
    }
    StringBuilder sql = new StringBuilder("WITH gate AS (");
    if (gate == null) {
      sql.append(OPEN_GATE);
    } else {
      sql.append(gate.numbered(tuple.size() + 1, tuple));
    }
    sql.append("),").append(INSERT);
    for (int i = 0; i < riders.size(); i++) {
      sql.append(", rider").append(i).append(" AS (").append(riders.get(i).numbered(tuple.size() + 1, tuple))
          .append(')');
    }
    sql.append(" SELECT count(*) AS written FROM written");
    return client.preparedQuery(sql.toString()).execute(tuple)
        .map(rows -> rows.iterator().next().getLong("written") == 1);
  }

  /**
   * Writes the change from {@code before} to {@code change.order()} through {@code tx}: the version-
   * checked row update, the units, the postings (one ledger transaction per order version reached),
   * the evidence and the outbox rows, in one statement. Fails with {@link VersionConflict}, having written
   * nothing, when the row was not at {@code before}'s version. Atomic on its own, so {@code tx} may be the
   * pool itself when nothing else belongs with the change; the caller commits (if a transaction), then
   * announces the change. A {@code gate} (null: none) goes first: a closed one fails with its {@link
   * OrderStore.Gate#shut} failure, the change not written; an open one runs its {@link OrderStore.Gate#passed} even
   * when the version check then fails (its write was made, and the retry must pass it again).
   */
  static Future<Written> write(SqlClient tx, Order before, Transition change, Instant now, Claimant claimant,
      OrderStore.Rider rider, OrderStore.Gate gate) {
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
    addUnits(update, after);
    addPostings(update, after, change.postings(), now);
    addEvidence(update, change.evidence());
    Map<String, Queued> queued = addOutbox(update, change.effects(), now, claimant);
    if (update.size() != UPDATE_PARAMS) {
      throw new IllegalStateException("the change statement takes " + UPDATE_PARAMS + " parameters, not " + update.size());
    }
    String sql = gate == null ? UPDATE : GATED_UPDATE.formatted(gate.numbered(UPDATE_PARAMS + 1, update));
    if (rider != null) {
      // Its own CTE, reading written: it writes exactly when the change is stored, in the same statement.
      sql += ", rider AS (" + rider.numbered(update.size() + 1, update) + ")";
    }
    String answered = sql + (gate == null ? UPDATE_ANSWER : GATED_UPDATE_ANSWER);
    return tx.preparedQuery(answered).execute(update).compose(rows -> {
      Row row = rows.iterator().next();
      if (gate != null) {
        if (row.getLong("gated") == 0) {
          return Future.failedFuture(gate.shut().get());
        }
        // Passed, whatever the version check found: the gate's own write is made, and a retry passes it again.
        gate.passed().run();
      }
      if (row.getLong("written") != 1) {
        return Future.failedFuture(new VersionConflict(before.id(), before.version()));
      }
      Written written = new Written(claimed(row, after, queued), row.getLong("unclaimed").intValue());
      return moveDeposit(tx, after, change.postings(), now).map(written);
    });
  }

  /**
   * Who claims the rows a change queues, as it is written: {@code instanceId}, leased until {@code leaseUntil}. Rows
   * due later than the change (a repeated check after a pause) are left for any instance's claim.
   */
  record Claimant(String instanceId, Instant leaseUntil) {}

  /** What a stored change queued in the outbox: the rows claimed as written, and how many others. */
  record Written(List<ClaimedEffect> claimed, int unclaimed) {
    static final Written NOTHING = new Written(List.of(), 0);
  }

  /** An outbox row as this change queues it. */
  private record Queued(String kind, JsonObject payload) {}

  private static List<ClaimedEffect> claimed(Row row, Order order, Map<String, Queued> queued) {
    Long[] ids = row.getArrayOfLongs("claimed_ids");
    String[] keys = row.getArrayOfStrings("claimed_keys");
    if (ids == null || ids.length == 0) {
      return List.of();
    }
    List<ClaimedEffect> claimed = new ArrayList<>(ids.length);
    for (int i = 0; i < ids.length; i++) {
      Queued effect = queued.get(keys[i]);
      if (effect == null) {
        throw new IllegalStateException("outbox row " + ids[i] + " was claimed for an effect this change did not queue");
      }
      claimed.add(new ClaimedEffect(ids[i], order.merchantId(), order.id(), effect.kind(), keys[i], effect.payload()));
    }
    return claimed;
  }

  private static Future<Void> moveDeposit(SqlClient tx, Order order, List<Posting> postings, Instant now) {
    String account = Accounts.merchantDeposit(order.merchantId());
    Posting moved = null;
    for (Posting posting : postings) {
      if (posting.account().equals(account)) {
        moved = moved == null ? posting : new Posting(account, moved.amount().plus(posting.amount()));
      }
    }
    if (moved == null) {
      return Future.succeededFuture();
    }
    Money amount = moved.amount();
    return tx.preparedQuery(MOVE_DEPOSIT).execute(Tuple.of(order.merchantId(), amount.minorUnits(),
            amount.currency().getCurrencyCode(), odt(now)))
        .compose(rows -> rows.rowCount() == 1 ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException("order " + order.id() + " posted " + amount
                + " to the deposit of merchant " + order.merchantId() + ", which holds none in that currency")));
  }

  /** Sets the gateway's reservation of {@code order} (one made for a late payment), in {@code tx}. */
  static Future<Void> writeReservation(SqlClient tx, StoredOrder order) {
    return tx.preparedQuery(SET_RESERVATION).execute(Tuple.of(order.merchantId(), order.id(), order.reservationId(),
        odt(order.reservedUntil()))).mapEmpty();
  }

  private static void addUnits(Tuple tuple, Order order) {
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
    tuple.addArrayOfInteger(index).addArrayOfString(state).addArrayOfString(keyRef).addArrayOfString(fingerprint)
        .addArrayOfInteger(deliveries).addArrayOfInteger(replacements)
        .addArrayOfOffsetDateTime(deliveredAt).addArrayOfOffsetDateTime(checkedAt);
  }

  private static void addPostings(Tuple tuple, Order order, List<Posting> postings, Instant now) {
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
    tuple.addOffsetDateTime(odt(now))
        .addArrayOfString(txn).addArrayOfString(account).addArrayOfLong(amount).addArrayOfString(currency);
  }

  /**
   * The ledger transaction id of a stored change: {@code <order id>/<version>}. A change merging
   * several events is one ledger transaction (it sums to zero as a whole).
   */
  public static String ledgerTxnId(Order order) {
    return order.id() + "/" + order.version();
  }

  private static void addEvidence(Tuple tuple, List<EvidenceEvent> events) {
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
    tuple.addArrayOfLong(seq).addArrayOfString(type).addArrayOfOffsetDateTime(at).addArrayOfString(data)
        .addArrayOfString(prev).addArrayOfString(hash);
  }

  /**
   * The effects that leave through the outbox: all but {@code release_funds}, whose money the change's own postings
   * already moved to the merchant's payable (payouts are settled outside the gateway), so its row would only be
   * claimed and marked done.
   */
  static List<Effect> outboxEffects(List<Effect> effects) {
    return effects.stream().filter(effect -> effect.kind() != EffectKind.RELEASE_FUNDS).toList();
  }

  /** Adds the outbox rows of {@code all} (claimed by {@code claimant} when not null, see {@link Claimant}); answers the effects by key. */
  private static Map<String, Queued> addOutbox(Tuple tuple, List<Effect> all, Instant now, Claimant claimant) {
    List<Effect> effects = outboxEffects(all);
    int n = effects.size();
    String[] kind = new String[n];
    String[] key = new String[n];
    String[] payload = new String[n];
    OffsetDateTime[] due = new OffsetDateTime[n];
    Integer[] attempts = new Integer[n];
    String[] claimedBy = new String[n];
    Map<String, Queued> byKey = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Effect effect = effects.get(i);
      kind[i] = effect.kind().code();
      key[i] = effect.idempotencyKey();
      JsonObject json = EffectCodec.encode(effect);
      payload[i] = json.encode();
      byKey.put(key[i], new Queued(kind[i], json));
      // A repeated check follows an UNKNOWN verdict: ask the validator again only after a pause.
      boolean later = effect instanceof Effect.ValidateUnit validate && validate.attempt() > 1;
      boolean claimed = claimant != null && !later;
      due[i] = odt(later ? now.plus(OutboxBackoff.recheckDelay(((Effect.ValidateUnit) effect).attempt()))
          : claimed ? claimant.leaseUntil() : now);
      attempts[i] = claimed ? 1 : 0;
      claimedBy[i] = claimed ? claimant.instanceId() : null;
    }
    tuple.addOffsetDateTime(odt(now))
        .addArrayOfString(kind).addArrayOfString(key).addArrayOfString(payload).addArrayOfOffsetDateTime(due)
        .addArrayOfInteger(attempts).addArrayOfString(claimedBy);
    return byKey;
  }

  static OffsetDateTime odt(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  /** Another transaction changed the order first; the work was rolled back. */
  static final class VersionConflict extends RuntimeException {
    private static final long serialVersionUID = 1L;

    VersionConflict(String orderId, long version) {
      super("order " + orderId + " moved past version " + version + " while this change was made", null, false, false);
    }
  }
}
