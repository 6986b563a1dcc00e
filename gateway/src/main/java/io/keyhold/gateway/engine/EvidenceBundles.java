package io.keyhold.gateway.engine;

import io.keyhold.escrow.EvidenceChain;
import io.keyhold.escrow.EvidenceEvent;
import io.keyhold.escrow.EvidenceType;
import io.keyhold.escrow.Order;
import io.keyhold.gateway.crypto.EvidenceSigner;
import io.keyhold.gateway.store.OrderCodec;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.OrderViews;
import io.keyhold.gateway.store.StoredOrder;
import io.keyhold.gateway.store.Wire;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Signed evidence bundles: everything Keyhold knows about one order that a buyer, a shop or an
 * arbiter needs to judge it, read in one consistent snapshot and signed by the gateway.
 *
 * <p>The answer is {@code {bundle, signature, algorithm: "Ed25519", key_id}}. {@code signature} is
 * the base64 Ed25519 signature of {@link CanonicalJson}{@code (bundle)} — RFC 8785 canonical JSON
 * in UTF-8 — made with the key served at {@code GET /v1/evidence-key}. To verify: take the
 * {@code bundle} member as parsed, canonicalize it with any RFC 8785 implementation, and check the
 * signature with the public key (X.509 SubjectPublicKeyInfo, base64). The bundle also carries the
 * order's hash chain ({@code events}: each event's {@code hash} is SHA-256 over the encoding
 * described in escrow-core's {@link EvidenceEvent}, linked by {@code prev_hash}), so the history
 * can be checked event by event as well.
 *
 * <p>Bundle members ({@value #FORMAT}): {@code format, generated_at, key_id, order, merchant, sku,
 * terms, deadlines, units, deliveries, validations, payments, refunds, ledger, dispute, events,
 * chain}. It holds key fingerprints (keyed HMAC-SHA256) and key references, never a card key, and
 * no buyer token.
 */
public final class EvidenceBundles {
  public static final String FORMAT = "keyhold-evidence-bundle-v1";
  public static final String ALGORITHM = "Ed25519";
  /**
   * The most events one bundle holds. Far above what escrow-core's own limits let an order reach
   * (units, replacements and checks per key are bounded), so hitting it means corrupt data.
   */
  public static final int EVENTS_MAX = 25_000;
  /** Same reasoning for the smaller lists (payments, deliveries, postings, refunds). */
  public static final int ROWS_MAX = 5_000;

  private static final String SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  private static final String NAMES = "SELECT m.name AS merchant_name, s.name AS sku_name FROM merchants m"
      + " JOIN skus s ON s.merchant_id = m.id WHERE m.id = $1 AND s.id = $2";
  private static final String EVENTS = "SELECT seq, type, at, data, prev_hash, hash FROM evidence_events"
      + " WHERE merchant_id = $1 AND order_id = $2 ORDER BY seq LIMIT " + (EVENTS_MAX + 1);
  private static final String PAYMENTS = "SELECT provider, provider_txn_id, amount_minor, currency, use, notices,"
      + " received_at FROM payments WHERE merchant_id = $1 AND order_id = $2 ORDER BY received_at, provider_txn_id"
      + " LIMIT " + (ROWS_MAX + 1);
  private static final String REFUNDS = "SELECT provider, provider_txn_id, amount_minor, currency, reason,"
      + " provider_ref, created_at FROM refunds WHERE merchant_id = $1 AND order_id = $2"
      + " ORDER BY created_at, idempotency_key LIMIT " + (ROWS_MAX + 1);
  private static final String REFUNDS_OWED = "SELECT provider, provider_txn_id, amount_minor, currency, reason,"
      + " cause, created_at FROM refunds_owed WHERE merchant_id = $1 AND order_id = $2"
      + " ORDER BY created_at, idempotency_key LIMIT " + (ROWS_MAX + 1);
  private static final String DELIVERIES = "SELECT key_ref, unit_index, source, fingerprint, duplicate, created_at"
      + " FROM delivered_keys WHERE merchant_id = $1 AND order_id = $2 ORDER BY created_at, key_ref"
      + " LIMIT " + (ROWS_MAX + 1);
  private static final String LEDGER = "SELECT txn_id, account, amount_minor, currency, created_at"
      + " FROM ledger_postings WHERE merchant_id = $1 AND order_id = $2 ORDER BY id LIMIT " + (ROWS_MAX + 1);

  private final Vertx vertx;
  private final Pool pool;
  private final OrderStore orders;
  private final EvidenceSigner signer;
  private final Clock clock;
  private final String keyId;

  public EvidenceBundles(Vertx vertx, Pool pool, OrderStore orders, EvidenceSigner signer, Clock clock) {
    this.vertx = vertx;
    this.pool = pool;
    this.orders = orders;
    this.signer = signer;
    this.clock = clock;
    this.keyId = keyId(signer.publicKeyX509());
  }

  /**
   * A short, stable name of a public key: {@code ed25519-} and the first 16 hex digits of the
   * SHA-256 of its X.509 encoding. A new key gets a new id, so old bundles name the key they need.
   */
  public static String keyId(byte[] publicKeyX509) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(publicKeyX509);
      return "ed25519-" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  public String keyId() {
    return keyId;
  }

  /** The answer of {@code GET /v1/evidence-key}. */
  public JsonObject publicKey() {
    return new JsonObject()
        .put("algorithm", ALGORITHM)
        .put("key_id", keyId)
        .put("public_key", signer.publicKeyBase64())
        .put("canonicalization", "RFC 8785 (JCS) of the bundle member, UTF-8");
  }

  /** The signed bundle of the order, or null when there is no such order. */
  public Future<JsonObject> signed(String orderId) {
    return pool.withTransaction(tx -> tx.query(SNAPSHOT).execute()
            .compose(ignored -> orders.load(tx, orderId))
            .compose(stored -> stored == null ? Future.succeededFuture(null) : read(tx, stored)))
        .compose(bundle -> bundle == null ? Future.succeededFuture(null)
            // Canonical encoding of a large bundle and the signature are CPU work: off the event loop.
            : vertx.executeBlocking(() -> sign(bundle), false));
  }

  private JsonObject sign(JsonObject bundle) {
    byte[] signature = signer.sign(CanonicalJson.encode(bundle));
    return new JsonObject()
        .put("bundle", bundle)
        .put("signature", Base64.getEncoder().encodeToString(signature))
        .put("algorithm", ALGORITHM)
        .put("key_id", keyId);
  }

  /**
   * True when {@code signed} (an answer of {@link #signed}) carries a valid signature of its bundle by
   * the key {@code publicKeyX509}. What a verifier does, in Java.
   */
  public static boolean verify(JsonObject signed, byte[] publicKeyX509) {
    if (!ALGORITHM.equals(signed.getString("algorithm")) || signed.getJsonObject("bundle") == null) {
      return false;
    }
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(signed.getString("signature", ""));
    } catch (IllegalArgumentException e) {
      return false;
    }
    return EvidenceSigner.verify(publicKeyX509, CanonicalJson.encode(signed.getJsonObject("bundle")), signature);
  }

  private Future<JsonObject> read(SqlClient tx, StoredOrder stored) {
    Order order = stored.order();
    Tuple ids = Tuple.of(order.merchantId(), order.id());
    Future<RowSet<Row>> names = tx.preparedQuery(NAMES).execute(Tuple.of(order.merchantId(), order.skuId()));
    Future<RowSet<Row>> events = tx.preparedQuery(EVENTS).execute(ids);
    Future<RowSet<Row>> payments = tx.preparedQuery(PAYMENTS).execute(ids);
    Future<RowSet<Row>> refunds = tx.preparedQuery(REFUNDS).execute(ids);
    Future<RowSet<Row>> deliveries = tx.preparedQuery(DELIVERIES).execute(ids);
    Future<RowSet<Row>> ledger = tx.preparedQuery(LEDGER).execute(ids);
    Future<RowSet<Row>> owed = tx.preparedQuery(REFUNDS_OWED).execute(ids);
    return Future.all(List.of(names, events, payments, refunds, deliveries, ledger, owed)).map(all -> {
      for (RowSet<Row> rows : List.of(payments.result(), refunds.result(), deliveries.result(), ledger.result(),
          owed.result())) {
        if (rows.size() > ROWS_MAX) {
          throw new IllegalStateException("order " + order.id() + " has more than " + ROWS_MAX + " rows of one kind");
        }
      }
      if (events.result().size() > EVENTS_MAX) {
        throw new IllegalStateException("order " + order.id() + " has more than " + EVENTS_MAX + " evidence events");
      }
      Row named = names.result().size() == 0 ? null : names.result().iterator().next();
      return bundle(order, named, events.result(), payments.result(), refunds.result(), deliveries.result(),
          ledger.result()).put("refunds_owed", refundsOwed(owed.result()));
    });
  }

  /** Refunds the provider could not make, owed to the buyer by the operator (see Payments). */
  private static JsonArray refundsOwed(RowSet<Row> rows) {
    JsonArray owed = new JsonArray();
    for (Row row : rows) {
      owed.add(new JsonObject()
          .put("provider", row.getString("provider"))
          .put("provider_txn_id", row.getString("provider_txn_id"))
          .put("amount", Wire.money(row.getLong("amount_minor"), row.getString("currency")))
          .put("reason", row.getString("reason"))
          .put("cause", row.getString("cause"))
          .put("at", Wire.time(row.getOffsetDateTime("created_at"))));
    }
    return owed;
  }

  private JsonObject bundle(Order order, Row names, RowSet<Row> eventRows, RowSet<Row> paymentRows,
      RowSet<Row> refundRows, RowSet<Row> deliveryRows, RowSet<Row> ledgerRows) {
    JsonObject bundle = new JsonObject()
        .put("format", FORMAT)
        .put("generated_at", Wire.time(clock.instant().truncatedTo(ChronoUnit.MILLIS)))
        .put("key_id", keyId)
        .put("order", OrderViews.milestones(OrderViews.price(new JsonObject()
            .put("id", order.id())
            .put("state", order.state().code()), order)
            .put("fee_basis_points", order.feeBasisPoints()), order)
            .put("updated_at", Wire.time(order.updatedAt()))
            .put("version", order.version()))
        .put("merchant", new JsonObject()
            .put("id", order.merchantId())
            .put("name", names == null ? null : names.getString("merchant_name")))
        .put("sku", new JsonObject()
            .put("id", order.skuId())
            .put("name", names == null ? null : names.getString("sku_name")))
        .put("terms", OrderCodec.encodePolicy(order.policy()))
        .put("deadlines", deadlines(order));

    bundle.put("units", OrderViews.units(order, true, "key_fingerprint", true));

    JsonArray deliveries = new JsonArray();
    for (Row row : deliveryRows) {
      deliveries.add(new JsonObject()
          .put("unit", row.getInteger("unit_index"))
          .put("key_ref", row.getString("key_ref"))
          .put("key_fingerprint", Wire.hex(row.getBuffer("fingerprint").getBytes()))
          .put("source", row.getString("source"))
          .put("duplicate", row.getBoolean("duplicate"))
          .put("delivered_at", Wire.time(row.getOffsetDateTime("created_at"))));
    }
    bundle.put("deliveries", deliveries);

    JsonArray payments = new JsonArray();
    for (Row row : paymentRows) {
      payments.add(new JsonObject()
          .put("provider", row.getString("provider"))
          .put("provider_txn_id", row.getString("provider_txn_id"))
          .put("amount", Wire.money(row.getLong("amount_minor"), row.getString("currency")))
          .put("use", row.getString("use"))
          .put("notices", row.getInteger("notices"))
          .put("received_at", Wire.time(row.getOffsetDateTime("received_at"))));
    }
    bundle.put("payments", payments);

    JsonArray refunds = new JsonArray();
    for (Row row : refundRows) {
      refunds.add(new JsonObject()
          .put("provider", row.getString("provider"))
          .put("provider_txn_id", row.getString("provider_txn_id"))
          .put("amount", Wire.money(row.getLong("amount_minor"), row.getString("currency")))
          .put("reason", row.getString("reason"))
          .put("provider_ref", row.getString("provider_ref"))
          .put("at", Wire.time(row.getOffsetDateTime("created_at"))));
    }
    bundle.put("refunds", refunds);

    JsonArray ledger = new JsonArray();
    for (Row row : ledgerRows) {
      ledger.add(new JsonObject()
          .put("txn_id", row.getString("txn_id"))
          .put("account", row.getString("account"))
          .put("amount", Wire.money(row.getLong("amount_minor"), row.getString("currency")))
          .put("at", Wire.time(row.getOffsetDateTime("created_at"))));
    }
    bundle.put("ledger", ledger);
    bundle.put("dispute", OrderViews.dispute(order, true));

    List<EvidenceEvent> chain = new ArrayList<>();
    JsonArray events = new JsonArray();
    JsonArray validations = new JsonArray();
    for (Row row : eventRows) {
      JsonObject data = row.getJsonObject("data");
      Map<String, String> details = new TreeMap<>();
      data.forEach(entry -> details.put(entry.getKey(), String.valueOf(entry.getValue())));
      Instant at = row.getOffsetDateTime("at").toInstant();
      JsonObject event = new JsonObject()
          .put("seq", row.getLong("seq"))
          .put("type", row.getString("type"))
          .put("at", Wire.time(at))
          .put("details", new JsonObject(new TreeMap<>(details)))
          .put("prev_hash", row.getString("prev_hash"))
          .put("hash", row.getString("hash"));
      events.add(event);
      if (EvidenceType.UNIT_CHECKED.code().equals(row.getString("type"))) {
        validations.add(new JsonObject()
            .put("unit", parseUnit(details.get("unit")))
            .put("key_ref", details.get("key_ref"))
            .put("key_fingerprint", details.get("fingerprint"))
            .put("verdict", details.get("verdict"))
            .put("at", Wire.time(at)));
      }
      chain.add(new EvidenceEvent(order.id(), row.getLong("seq"), EvidenceType.fromCode(row.getString("type")), at,
          details, row.getString("prev_hash"), row.getString("hash")));
    }
    bundle.put("validations", validations);
    bundle.put("events", events);

    Optional<String> problem = EvidenceChain.verify(chain);
    String head = chain.isEmpty() ? null : chain.get(chain.size() - 1).hash();
    if (problem.isEmpty() && (!order.lastEvidenceHash().equals(head) || order.evidenceSeq() != chain.size())) {
      problem = Optional.of("the chain does not end at the order's last event (seq " + order.evidenceSeq() + ")");
    }
    bundle.put("chain", new JsonObject()
        .put("length", chain.size())
        .put("head_hash", head)
        .put("intact", problem.isEmpty())
        .put("problem", problem.orElse(null)));
    return bundle;
  }

  private static Integer parseUnit(String unit) {
    try {
      return unit == null ? null : Integer.valueOf(unit);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The order's deadlines (null where one does not apply) and the next one. */
  public static JsonObject deadlines(Order order) {
    return new JsonObject()
        .put("pay_by", Wire.time(order.payBy()))
        .put("deliver_by", Wire.time(order.deliverBy()))
        .put("resupply_by", Wire.time(order.resupplyBy()))
        .put("inspection_ends_at", Wire.time(order.inspectionEndsAt()))
        .put("hold_until", Wire.time(order.holdUntil()))
        .put("next_action_at", Wire.time(order.nextActionAt()));
  }

}
