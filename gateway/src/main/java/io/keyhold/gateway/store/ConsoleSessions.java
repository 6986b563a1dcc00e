package io.keyhold.gateway.store;

import io.keyhold.gateway.crypto.SecretHasher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Objects;

/**
 * Sessions of the shop and operator consoles (issue 17), in PostgreSQL so that any gateway behind the load balancer
 * knows them. A session is a random id the browser holds in an HttpOnly cookie; only its SHA-256 is stored, beside
 * who signed in, the session's CSRF token, and when it was made, last used and ends. A session ends at the first of:
 * its absolute end ({@link Lifetimes#maxSeconds}), {@link Lifetimes#idleSeconds} without a request, sign-out (the row
 * is deleted), or its merchant no longer being active.
 */
public final class ConsoleSessions {
  /** Session ids start with this, so a leaked one is recognisable in a scanner's rules. */
  public static final String ID_PREFIX = "khc_";
  public static final String CSRF_PREFIX = "khx_";
  /** Expired rows removed per sign-in, at most: cleaning never makes a sign-in slow. */
  public static final int PURGE_BATCH_MAX = 100;
  /** Generated ids are 47 characters; anything much longer is not ours and is not hashed. */
  public static final int ID_LENGTH_MAX = 100;

  private static final String INSERT = "INSERT INTO console_sessions"
      + " (id_hash, kind, merchant_id, csrf_token, created_at, last_seen_at, expires_at)"
      + " VALUES ($1, $2, $3, $4, $5, $5, $6)";
  // One statement reads and touches the session: idle and absolute expiry, and a merchant suspended since sign-in.
  private static final String TOUCH = "UPDATE console_sessions s SET last_seen_at = GREATEST(s.last_seen_at, $2)"
      + " WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $2 - make_interval(secs => $3)"
      + " AND (s.merchant_id IS NULL OR EXISTS (SELECT 1 FROM merchants m WHERE m.id = s.merchant_id"
      + " AND m.status = 'active'))"
      + " RETURNING s.kind, s.merchant_id, s.csrf_token, s.expires_at";
  private static final String DELETE = "DELETE FROM console_sessions WHERE id_hash = $1";
  private static final String PURGE = "DELETE FROM console_sessions WHERE id_hash IN (SELECT id_hash"
      + " FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $1 - make_interval(secs => $2)"
      + " ORDER BY expires_at LIMIT " + PURGE_BATCH_MAX + ")";

  private final Pool pool;
  private final Clock clock;
  private final Lifetimes lifetimes;

  public ConsoleSessions(Pool pool, Clock clock, Lifetimes lifetimes) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lifetimes = Objects.requireNonNull(lifetimes, "lifetimes");
  }

  public Lifetimes lifetimes() {
    return lifetimes;
  }

  /**
   * How long sessions last.
   *
   * @param idleSeconds a session not used for this long has ended
   * @param maxSeconds a session ends this long after sign-in, used or not
   */
  public record Lifetimes(long idleSeconds, long maxSeconds) {
    public static final long DEFAULT_IDLE_SECONDS = 30 * 60;
    public static final long DEFAULT_MAX_SECONDS = 12 * 60 * 60;
    /** A session is a bearer credential in a browser: a week at most, whatever the config says. */
    public static final long MAX_SECONDS_MAX = 7 * 24 * 60 * 60;
    public static final Lifetimes DEFAULTS = new Lifetimes(DEFAULT_IDLE_SECONDS, DEFAULT_MAX_SECONDS);

    public Lifetimes {
      Range.check("console session max seconds", maxSeconds, 60, MAX_SECONDS_MAX);
      Range.check("console session idle seconds", idleSeconds, 60, maxSeconds);
    }
  }

  /** Who a session belongs to. */
  public enum Kind {
    MERCHANT("merchant"),
    OPERATOR("operator");

    private final String code;

    Kind(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }

    static Kind fromCode(String code) {
      return MERCHANT.code.equals(code) ? MERCHANT : OPERATOR;
    }
  }

  /**
   * A live session as read for a request.
   *
   * @param idHash the stored hash of the session id (what sign-out deletes)
   * @param kind merchant or operator
   * @param merchantId the merchant, or null for the operator
   * @param csrfToken the token every changing request of this session must carry
   * @param expiresAt the absolute end
   */
  public record Session(byte[] idHash, Kind kind, String merchantId, String csrfToken, Instant expiresAt) {
    @Override
    public String toString() {
      return "Session[" + kind.code() + (merchantId == null ? "" : " " + merchantId) + ", ends " + expiresAt + "]";
    }
  }

  /**
   * A session just made: its id, which only the cookie will hold, and the session.
   *
   * @param id the session id in the clear; never stored, never logged
   */
  public record Created(String id, Session session) {
    @Override
    public String toString() {
      return "Created[" + session + "]";
    }
  }

  /** Makes a session for the merchant ({@code merchantId}) or, when null, the operator. */
  public Future<Created> create(String merchantId) {
    Instant now = now();
    Kind kind = merchantId == null ? Kind.OPERATOR : Kind.MERCHANT;
    String id = SecretHasher.newToken(ID_PREFIX);
    String csrf = SecretHasher.newToken(CSRF_PREFIX);
    byte[] hash = SecretHasher.hash(id);
    Instant expiresAt = now.plusSeconds(lifetimes.maxSeconds());
    return pool.preparedQuery(PURGE).execute(Tuple.of(at(now), lifetimes.idleSeconds()))
        .compose(purged -> pool.preparedQuery(INSERT).execute(Tuple.of(Buffer.buffer(hash), kind.code(), merchantId,
            csrf, at(now), at(expiresAt))))
        .map(inserted -> new Created(id, new Session(hash, kind, merchantId, csrf, expiresAt)));
  }

  /** The live session of {@code id}, marked used now; null when unknown, ended or its merchant suspended. */
  public Future<Session> find(String id) {
    if (id == null || id.isEmpty() || id.length() > ID_LENGTH_MAX || !id.startsWith(ID_PREFIX)) {
      return Future.succeededFuture();
    }
    byte[] hash = SecretHasher.hash(id);
    return pool.preparedQuery(TOUCH).execute(Tuple.of(Buffer.buffer(hash), at(now()), lifetimes.idleSeconds()))
        .map(rows -> {
          Iterator<Row> it = rows.iterator();
          if (!it.hasNext()) {
            return null;
          }
          Row row = it.next();
          return new Session(hash, Kind.fromCode(row.getString("kind")), row.getString("merchant_id"),
              row.getString("csrf_token"), row.getOffsetDateTime("expires_at").toInstant());
        });
  }

  /** Ends a session (sign-out): its row is deleted, so the cookie signs nobody in on any gateway. */
  public Future<Void> end(Session session) {
    return pool.preparedQuery(DELETE).execute(Tuple.of(Buffer.buffer(session.idHash()))).mapEmpty();
  }

  private Instant now() {
    // PostgreSQL keeps microseconds; a session compared with its stored times must use the same.
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  private static OffsetDateTime at(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
