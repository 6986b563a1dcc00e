package io.keyhold.gateway.adapters;

import io.keyhold.adapters.signature.SignatureCheck;
import io.keyhold.adapters.signature.Signatures;
import io.keyhold.escrow.Money;
import io.keyhold.gateway.crypto.KeyVault;
import io.keyhold.gateway.crypto.SecretHasher;
import io.keyhold.gateway.store.ClaimedEffect;
import io.keyhold.gateway.store.Ids;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The built-in {@code sandbox} payment provider. It stands in for a real one and behaves like one:
 * the buyer's "pay" step is an HTTP call ({@code POST /v1/sandbox/payments}, then
 * {@code .../confirm}); the provider then sends its notices <em>asynchronously</em> — through the
 * outbox, kind {@value #NOTICE_KIND} — as signed HTTP POSTs to {@code /v1/payments/sandbox/notify} (without
 * chaos a payment's two notices in one request, {@code {"notices":[pending, succeeded]}});
 * with the chaos option on it repeats every notice and shuffles their order, as real providers may.
 * Refunds are recorded in its own book ({@code sandbox_payments.refunded_minor}).
 *
 * <p>Notices are signed like the merchant protocol ({@code Keyhold-Signature: t=..,v1=..}) with a
 * secret kept sealed in {@code gateway_meta}, shared by every gateway of the database. A notice that is
 * missing its signature, malformed, forged or signed more than the window (300 s) away is refused; the
 * same notice again inside the window is not a replay to refuse but a provider's repeat, answered
 * {@code accepted} like the first (PROTOCOL.md section 3.2).
 */
public final class SandboxProvider implements PaymentProvider {
  public static final String ID = "sandbox";
  /**
   * The longest notice delay for which a confirmation's notices are claimed as they are queued and sent by a timer
   * ({@link #claimNoticesAs}); far below the claim's lease, so the lease never runs out while the timer waits.
   */
  public static final long CLAIMED_NOTICE_DELAY_MAX_MS = 1_000;
  /** The outbox kind of a notice waiting to be sent. */
  public static final String NOTICE_KIND = "sandbox_notice";
  /** A payment's states, as stored. */
  static final String PENDING = "pending";
  static final String PAID = "paid";
  public static final String PAYMENT_PREFIX = "pay";
  /** Copies of each notice sent with chaos on: 2 to this many, so every notice is repeated. */
  public static final int CHAOS_COPIES_MAX = 3;
  /** With chaos on, each copy is delayed by up to this much more, which shuffles their order. */
  public static final long CHAOS_SPREAD_MS = 300;
  public static final Duration NOTICE_TIMEOUT = Duration.ofSeconds(10);
  /** The row, without chaos, that holds both notices of a payment. */
  static final String CALM_ROW = "notices";
  /** The most notices one outbox row holds: without chaos, a payment's pending and succeeded notice. */
  static final int NOTICES_PER_ROW_MAX = 2;
  public static final int NOTICE_BODY_BYTES_MAX = 4096;

  private static final String SECRET_NAME = "sandbox_notice_secret";
  private static final String SECRET_AAD = "gateway-meta:" + SECRET_NAME;
  private static final String INSERT_SECRET = "INSERT INTO gateway_meta (name, value) VALUES ($1, $2)"
      + " ON CONFLICT (name) DO NOTHING";
  private static final String SELECT_SECRET = "SELECT value FROM gateway_meta WHERE name = $1";
  private static final String INSERT_PAYMENT = "INSERT INTO sandbox_payments (id, merchant_id, order_id, amount_minor,"
      + " currency, state, created_at, return_url) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)";
  /**
   * The buyer's payment: marked paid and its notices queued ($5..$8: status, outbox row, notice id and due time of
   * each; the notices of a row go in its order, due when its first is), in one statement (atomic by itself, so no
   * transaction around it), which answers the payment as it was before and how many rows it queued: none when the
   * payment was no longer pending.
   */
  private static final String PAY_AND_NOTIFY = "WITH paid AS (UPDATE sandbox_payments SET state = 'paid',"
      + " paid_at = $1 WHERE id = $2 AND state = 'pending' RETURNING id, merchant_id, order_id, amount_minor, currency),"
      + " queued AS (INSERT INTO outbox (merchant_id, order_id, kind, idempotency_key, payload, next_attempt_at,"
      + " attempts, claimed_by, created_at) SELECT p.merchant_id, p.order_id, $3, 'sandbox/' || p.id || '/' || n.r,"
      + " jsonb_build_object('notices', jsonb_agg(jsonb_build_object('id', n.i, 'type', 'payment.' || n.s,"
      + " 'payment_id', p.id, 'order_id', p.order_id, 'paid_at', $4::text, 'amount',"
      + " jsonb_build_object('amount', p.amount_minor, 'currency', p.currency)) ORDER BY n.o)),"
      + " coalesce($10, min(n.t)), CASE WHEN $9::text IS NULL THEN 0 ELSE 1 END, $9, $1"
      + " FROM paid p, unnest($5::text[], $6::text[], $7::text[], $8::timestamptz[]) WITH ORDINALITY AS n(s, r, i, t, o)"
      + " GROUP BY p.id, p.merchant_id, p.order_id, p.amount_minor, p.currency, n.r"
      + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key, payload)"
      + " SELECT id, merchant_id, order_id, amount_minor, currency, state, refunded_minor, return_url,"
      + " (SELECT count(*) FROM queued) AS queued, (SELECT json_agg(json_build_object('id', q.id, 'key',"
      + " q.idempotency_key, 'payload', q.payload)) FROM queued q WHERE $9::text IS NOT NULL) AS claimed"
      + " FROM sandbox_payments WHERE id = $2";
  private static final String FIND = "SELECT id, merchant_id, order_id, amount_minor, currency, state, refunded_minor,"
      + " return_url FROM sandbox_payments WHERE id = $1";
  private static final String RECORD_REFUND = "INSERT INTO refunds (idempotency_key, provider, provider_txn_id,"
      + " merchant_id, order_id, amount_minor, currency, reason, provider_ref, created_at)"
      + " SELECT $1, 'sandbox', p.id, p.merchant_id, p.order_id, $3, p.currency, $4, $5, $6"
      + " FROM sandbox_payments p WHERE p.id = $2 AND p.state = 'paid' AND p.currency = $7"
      + " AND p.refunded_minor + $3 <= p.amount_minor"
      + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING provider_ref";
  private static final String BOOK_REFUND = "UPDATE sandbox_payments SET refunded_minor = refunded_minor + $2"
      + " WHERE id = $1";
  /** The sandbox's payout book: the gateway's own record of payouts, written by the stand-in provider first. */
  private static final String BOOK_PAYOUT = "INSERT INTO compensation_payouts (idempotency_key, provider,"
      + " provider_txn_id, merchant_id, order_id, amount_minor, currency, provider_ref, created_at)"
      + " SELECT $1, 'sandbox', p.id, p.merchant_id, p.order_id, $3, p.currency, $4, $5"
      + " FROM sandbox_payments p WHERE p.id = $2 AND p.state = 'paid' AND p.currency = $6"
      + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING provider_ref";
  private static final String KNOWN_PAYOUT = "SELECT provider_ref FROM compensation_payouts WHERE idempotency_key = $1";
  private static final String KNOWN_REFUND = "SELECT provider_ref FROM refunds WHERE idempotency_key = $1";

  private final Pool pool;
  private final WebClient client;
  private final Clock clock;
  private final Signatures signatures;
  private final boolean chaos;
  private final long noticeDelayMs;
  private volatile LongConsumer noticesQueued = delayMs -> { };
  private volatile NoticeClaimer noticeClaimer;
  private final Supplier<String> selfUrl;

  private SandboxProvider(Pool pool, WebClient client, Clock clock, Signatures signatures, boolean chaos,
      long noticeDelayMs, Supplier<String> selfUrl) {
    this.pool = pool;
    this.client = client;
    this.clock = clock;
    this.signatures = signatures;
    this.chaos = chaos;
    this.noticeDelayMs = noticeDelayMs;
    this.selfUrl = selfUrl;
  }

  /**
   * Loads (or, the first time for this database, creates) the notice secret and builds the provider.
   *
   * @param selfUrl where this gateway listens, for the notices it sends itself (known once it serves)
   */
  public static Future<SandboxProvider> create(Pool pool, WebClient client, KeyVault vault, Clock clock, boolean chaos,
      long noticeDelayMs, Supplier<String> selfUrl) {
    KeyVault.Sealed fresh = vault.sealString(SecretHasher.newToken("khs_"), SECRET_AAD);
    Buffer stored = Buffer.buffer().appendString(fresh.keyId()).appendByte((byte) 0).appendBytes(fresh.ciphertext());
    return pool.preparedQuery(INSERT_SECRET).execute(Tuple.of(SECRET_NAME, stored))
        .compose(ignored -> pool.preparedQuery(SELECT_SECRET).execute(Tuple.of(SECRET_NAME)))
        .map(rows -> {
          byte[] value = rows.iterator().next().getBuffer("value").getBytes();
          int split = indexOfZero(value);
          String keyId = new String(value, 0, split, java.nio.charset.StandardCharsets.US_ASCII);
          byte[] blob = java.util.Arrays.copyOfRange(value, split + 1, value.length);
          String secret = vault.openString(new KeyVault.Sealed(keyId, blob), SECRET_AAD);
          Signatures signatures = Signatures.builder().secret(secret).clock(clock).build();
          return new SandboxProvider(pool, client, clock, signatures, chaos, noticeDelayMs, selfUrl);
        });
  }

  private static int indexOfZero(byte[] value) {
    for (int i = 0; i < value.length; i++) {
      if (value[i] == 0) {
        return i;
      }
    }
    throw new IllegalStateException("the stored sandbox secret is malformed");
  }

  @Override
  public String id() {
    return ID;
  }

  // ---- the buyer's side

  /** A payment the buyer started: pending until confirmed; {@code returnUrl} a same-origin path, or null. */
  public record SandboxPayment(String id, String merchantId, String orderId, Money amount, String state,
      long refundedMinor, String returnUrl) {
    /** This payment once the buyer paid it (nothing is refunded before that). */
    SandboxPayment paid() {
      return new SandboxPayment(id, merchantId, orderId, amount, PAID, refundedMinor, returnUrl);
    }

    public JsonObject toJson(String payUrl) {
      return new JsonObject()
          .put("payment_id", id)
          .put("order_id", orderId)
          .put("amount", new JsonObject().put("amount", amount.minorUnits())
              .put("currency", amount.currency().getCurrencyCode()))
          .put("state", state)
          .put("refunded", new JsonObject().put("amount", refundedMinor)
              .put("currency", amount.currency().getCurrencyCode()))
          .put("pay_url", payUrl)
          .put("return_url", returnUrl);
    }
  }

  /**
   * Starts a payment of {@code amount} for an order (the caller checked the order token);
   * {@code returnUrl} is where the pay page sends the buyer afterwards (a checked same-origin path) or null.
   */
  public Future<SandboxPayment> start(String merchantId, String orderId, Money amount, String returnUrl) {
    String id = Ids.newId(PAYMENT_PREFIX);
    return pool.preparedQuery(INSERT_PAYMENT)
        .execute(Tuple.tuple().addString(id).addString(merchantId).addString(orderId).addLong(amount.minorUnits())
            .addString(amount.currency().getCurrencyCode()).addOffsetDateTime(clock.instant().atOffset(ZoneOffset.UTC))
            .addString(returnUrl))
        .map(rows -> new SandboxPayment(id, merchantId, orderId, amount, PENDING, 0, returnUrl));
  }

  /** The payment, or null. */
  public Future<SandboxPayment> find(String paymentId) {
    return pool.preparedQuery(FIND).execute(Tuple.of(paymentId))
        .map(rows -> rows.size() == 0 ? null : payment(rows.iterator().next()));
  }

  private static SandboxPayment payment(Row row) {
    return new SandboxPayment(row.getString("id"), row.getString("merchant_id"), row.getString("order_id"),
        Money.of(row.getLong("amount_minor"), row.getString("currency")), row.getString("state"),
        row.getLong("refunded_minor"), row.getString("return_url"));
  }

  /**
   * Calls {@code listener} with the delay (ms) after which the notices a confirmation just queued for any instance
   * are due (not {@link #claimNoticesAs claimed}): the order engine wakes its outbox then, rather than leave them to
   * its next poll. With chaos on, some are due later still and wait for that poll.
   */
  public void onNoticesQueued(LongConsumer listener) {
    this.noticesQueued = Objects.requireNonNull(listener, "listener");
  }

  /**
   * From now on (chaos off, a notice delay up to {@link #CLAIMED_NOTICE_DELAY_MAX_MS}), a confirmation's notices are
   * queued claimed for {@code instanceId}, leased for
   * {@code lease}, and handed to {@code listener} with the delay after which they are due: this instance sends them
   * then, with no claim statement. Should it die first, they return to any instance as a dead instance's rows do.
   */
  public void claimNoticesAs(String instanceId, Duration lease, NoticesClaimed listener) {
    noticeClaimer = new NoticeClaimer(Objects.requireNonNull(instanceId, "instanceId"),
        Objects.requireNonNull(lease, "lease"), Objects.requireNonNull(listener, "listener"));
  }

  /** Stops {@link #claimNoticesAs claiming} notices (the outbox is stopping): they are queued for any instance. */
  public void stopClaimingNotices() {
    noticeClaimer = null;
  }

  /** Runs the notices a confirmation queued claimed for this instance, {@code dueInMs} from now. */
  @FunctionalInterface
  public interface NoticesClaimed {
    void claimed(long dueInMs, List<ClaimedEffect> notices);
  }

  private record NoticeClaimer(String instanceId, Duration lease, NoticesClaimed listener) {}

  private static List<ClaimedEffect> claimedNotices(Row row, SandboxPayment payment) {
    Object value = row.getValue("claimed");
    if (value == null) {
      return List.of();
    }
    JsonArray rows = value instanceof JsonArray array ? array : new JsonArray(String.valueOf(value));
    List<ClaimedEffect> notices = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      JsonObject notice = rows.getJsonObject(i);
      notices.add(new ClaimedEffect(notice.getLong("id"), payment.merchantId(), payment.orderId(), NOTICE_KIND,
          notice.getString("key"), notice.getJsonObject("payload")));
    }
    return notices;
  }

  /**
   * The buyer pays: the payment becomes paid and its notices are queued, in one statement. A payment
   * already paid answers as it is and queues nothing again; null when there is no such payment.
   */
  public Future<SandboxPayment> confirm(String paymentId) {
    Instant now = clock.instant();
    // With chaos on, notices are spread and repeated to test the outbox's claims: they are left to them, as are
    // notices held back longer than a claim should wait on a timer.
    NoticeClaimer claimer = chaos || noticeDelayMs > CLAIMED_NOTICE_DELAY_MAX_MS ? null : noticeClaimer;
    Tuple args = notices(paymentId, now)
        .addString(claimer == null ? null : claimer.instanceId())
        .addOffsetDateTime(claimer == null ? null : now.plus(claimer.lease()).atOffset(ZoneOffset.UTC));
    return pool.preparedQuery(PAY_AND_NOTIFY).execute(args).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(null);
      }
      Row row = rows.iterator().next();
      SandboxPayment before = payment(row);
      if (row.getLong("queued") > 0) {
        // Claimed (no chaos): one row, due at noticeDelayMs. Else the first rows are due a millisecond later at most.
        if (claimer != null) {
          claimer.listener().claimed(noticeDelayMs, claimedNotices(row, before));
        } else {
          noticesQueued.accept(noticeDelayMs + 1);
        }
        return Future.succeededFuture(before.paid());
      }
      // Nothing queued: paid already (as read), or by another confirm at this very moment (read again).
      return PENDING.equals(before.state()) ? find(paymentId) : Future.succeededFuture(before);
    });
  }

  /**
   * The arguments of {@link #PAY_AND_NOTIFY} for a payment paid at {@code now}: its notices, each due a moment
   * later. Without chaos the pending and the succeeded notice share one outbox row ({@value #CALM_ROW}), sent in that
   * order: one row to write and mark done, not two. With chaos each copy is a row of its own, due at its own time.
   */
  private Tuple notices(String paymentId, Instant now) {
    List<String> statuses = new ArrayList<>();
    List<String> rows = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    List<java.time.OffsetDateTime> due = new ArrayList<>();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String[] kinds = {PaymentNotice.Status.PENDING.code(), PaymentNotice.Status.SUCCEEDED.code()};
    for (int s = 0; s < kinds.length; s++) {
      int count = chaos ? 2 + random.nextInt(CHAOS_COPIES_MAX - 1) : 1;
      for (int copy = 0; copy < count; copy++) {
        long delayMs = noticeDelayMs + s + (chaos ? random.nextLong(CHAOS_SPREAD_MS + 1) : 0);
        statuses.add(kinds[s]);
        rows.add(chaos ? kinds[s] + "/" + copy : CALM_ROW);
        ids.add(Ids.newId("ntc"));
        due.add(now.plusMillis(delayMs).atOffset(ZoneOffset.UTC));
      }
    }
    return Tuple.tuple().addOffsetDateTime(now.atOffset(ZoneOffset.UTC)).addString(paymentId).addString(NOTICE_KIND)
        .addString(now.toString()).addArrayOfString(statuses.toArray(new String[0]))
        .addArrayOfString(rows.toArray(new String[0])).addArrayOfString(ids.toArray(new String[0]))
        .addArrayOfOffsetDateTime(due.toArray(new java.time.OffsetDateTime[0]));
  }

  /**
   * The {@code Keyhold-Signature} value of a notice {@code body} signed at {@code at}, as {@link #send}
   * signs it: for tests and tools that send a notice again.
   */
  public String signature(Buffer body, Instant at) {
    return signatures.sign(body.getBytes(), at.getEpochSecond());
  }

  /**
   * Sends the notices of one outbox row of kind {@value #NOTICE_KIND}. A row of several (a payment's pending and
   * succeeded notice) goes as it is, {@code {"notices":[...]}}, one signed request the gateway reads in its order; a
   * row queued before notices shared rows is one notice itself. Any answer but 2xx fails the row, so the outbox tries
   * it again: notices then sent twice are a provider's repeat, which the gateway answers like the first.
   */
  public Future<Void> send(JsonObject row) {
    JsonArray notices = row.getJsonArray("notices");
    if (notices != null && (notices.isEmpty() || notices.size() > NOTICES_PER_ROW_MAX)) {
      return Future.failedFuture(new IllegalStateException("a notice row holds 1 to " + NOTICES_PER_ROW_MAX
          + " notices, not " + notices.size()));
    }
    return post(row);
  }

  /** Signs a row (its payload is the request's body) now and POSTs it to this gateway's notify endpoint. */
  private Future<Void> post(JsonObject row) {
    Buffer body = row.toBuffer();
    return client.postAbs(selfUrl.get() + "/v1/payments/" + ID + "/notify")
        .timeout(NOTICE_TIMEOUT.toMillis())
        .putHeader("Content-Type", "application/json")
        .putHeader(Signatures.HEADER, signatures.sign(body))
        .sendBuffer(body)
        .compose(response -> response.statusCode() / 100 == 2
            ? Future.<Void>succeededFuture()
            : Future.failedFuture(new IllegalStateException("the notify endpoint answered " + response.statusCode())));
  }

  // ---- the gateway's side

  @Override
  public Future<PaymentNotice> readNotice(MultiMap headers, Buffer body) {
    return readNotices(headers, body).compose(notices -> notices.size() == 1
        ? Future.succeededFuture(notices.get(0))
        : Future.failedFuture(new NoticeRejectedException(NoticeRejectedException.REASON_UNREADABLE,
            "the request holds " + notices.size() + " notices, not one")));
  }

  /** One notice, or a row's notices in one request ({@code {"notices":[...]}}, 1 to {@value #NOTICES_PER_ROW_MAX}). */
  @Override
  public Future<List<PaymentNotice>> readNotices(MultiMap headers, Buffer body) {
    if (body == null || body.length() > NOTICE_BODY_BYTES_MAX) {
      return Future.failedFuture(new NoticeRejectedException(NoticeRejectedException.REASON_TOO_LARGE,
          "the notice body is missing or too large"));
    }
    // No replay cache: a provider sends a notice again until it sees a success, and the same notice is
    // applied once per payment anyway (Payments), so a repeat inside the window is answered like the first.
    SignatureCheck check = signatures.authenticate(headers.get(Signatures.HEADER), body);
    if (!check.isValid()) {
      return Future.failedFuture(new NoticeRejectedException(check.code(), "the notice signature is " + check.code()));
    }
    try {
      JsonObject json = body.toJsonObject();
      JsonArray batch = json.getJsonArray("notices");
      if (batch == null) {
        return Future.succeededFuture(List.of(notice(json)));
      }
      if (batch.isEmpty() || batch.size() > NOTICES_PER_ROW_MAX) {
        throw new IllegalArgumentException("notices");
      }
      List<PaymentNotice> notices = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        notices.add(notice(batch.getJsonObject(i)));
      }
      return Future.succeededFuture(notices);
    } catch (RuntimeException e) {
      return Future.failedFuture(new NoticeRejectedException(NoticeRejectedException.REASON_UNREADABLE,
          "the notice cannot be read"));
    }
  }

  /** One notice of an authentic body; throws on anything unreadable. */
  private static PaymentNotice notice(JsonObject json) {
    String type = json.getString("type");
    if (type == null || !type.startsWith("payment.")) {
      throw new IllegalArgumentException("type");
    }
    JsonObject amount = json.getJsonObject("amount");
    String paidAt = json.getString("paid_at");
    return new PaymentNotice(json.getString("payment_id"), json.getString("order_id"),
        Money.of(amount.getLong("amount"), amount.getString("currency")),
        PaymentNotice.Status.fromCode(type.substring("payment.".length())),
        paidAt == null ? null : Instant.parse(paidAt));
  }

  @Override
  public Future<String> refund(RefundRequest request) {
    String reference = Ids.newId("rf");
    return pool.withTransaction(tx -> tx.preparedQuery(RECORD_REFUND)
            .execute(Tuple.tuple().addString(request.idempotencyKey()).addString(request.transactionId())
                .addLong(request.amount().minorUnits()).addString(request.reason()).addString(reference)
                .addOffsetDateTime(clock.instant().atOffset(ZoneOffset.UTC))
                .addString(request.amount().currency().getCurrencyCode()))
            .compose(rows -> {
              if (rows.size() == 1) {
                return tx.preparedQuery(BOOK_REFUND)
                    .execute(Tuple.of(request.transactionId(), request.amount().minorUnits()))
                    .map(reference);
              }
              return tx.preparedQuery(KNOWN_REFUND).execute(Tuple.of(request.idempotencyKey())).compose(known ->
                  known.size() == 1
                      ? Future.succeededFuture(known.iterator().next().getString("provider_ref"))
                      : Future.failedFuture(new IllegalStateException("sandbox payment " + request.transactionId()
                          + " is unknown, unpaid, in another currency, or would be refunded past its amount")));
            }));
  }

  @Override
  public Future<String> payCompensation(PayoutRequest request) {
    String reference = Ids.newId("po");
    return pool.preparedQuery(BOOK_PAYOUT)
        .execute(Tuple.tuple().addString(request.idempotencyKey()).addString(request.transactionId())
            .addLong(request.amount().minorUnits()).addString(reference)
            .addOffsetDateTime(clock.instant().atOffset(ZoneOffset.UTC))
            .addString(request.amount().currency().getCurrencyCode()))
        .compose(rows -> rows.size() == 1 ? Future.succeededFuture(reference)
            : pool.preparedQuery(KNOWN_PAYOUT).execute(Tuple.of(request.idempotencyKey())).compose(known ->
                known.size() == 1
                    ? Future.succeededFuture(known.iterator().next().getString("provider_ref"))
                    : Future.failedFuture(new IllegalStateException("sandbox payment " + request.transactionId()
                        + " is unknown, unpaid or in another currency"))));
  }

  @Override
  public String toString() {
    return "SandboxProvider[chaos=" + chaos + "]";
  }
}
