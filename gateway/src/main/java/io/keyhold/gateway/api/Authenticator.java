package io.keyhold.gateway.api;

import com.github.benmanes.caffeine.cache.Cache;
import io.keyhold.gateway.crypto.SecretHasher;
import io.keyhold.gateway.store.ConsoleSessions;
import io.keyhold.gateway.store.MerchantService;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.ShortLivedCache;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Objects;

/**
 * Bearer-token authentication: the operator's admin token (compared with its SHA-256 in constant
 * time), merchant API keys (looked up by SHA-256 hash; only hashes are stored) and a buyer's order
 * token (header or query parameter {@code t}, compared with the order's stored SHA-256). A missing,
 * malformed or unknown token is 401 {@code unauthenticated}, with the same answer for each so a
 * caller learns nothing about which.
 *
 * <p>The consoles (issue 17) sign in once and then send a session cookie instead of the key: on merchant routes the
 * shop console's cookie ({@link #SHOP_COOKIE}), on operator routes the operator console's ({@link #OPS_COOKIE}), each
 * read only when no bearer token is sent. A request authenticated by cookie that may change anything (any method but
 * GET and HEAD) must carry the session's CSRF token in {@link #CSRF_HEADER}, or it is refused with 403
 * {@code csrf_token_invalid} before any handler runs, so every route keeps its one implementation.
 */
public final class Authenticator {
  /** Key of the {@link Caller} in the routing context. */
  public static final String CALLER = "keyhold.caller";
  /** Generated tokens are about 50 characters; anything much longer is not ours. */
  public static final int TOKEN_LENGTH_MAX = 200;

  /** The query parameter that may carry a buyer's order token (an EventSource cannot send headers). */
  public static final String ORDER_TOKEN_PARAM = "t";

  /**
   * Merchant API keys kept as valid, at most (by hash; the key itself is never kept), each for
   * {@link ShortLivedCache#REUSE_MAX}: a shop's checkouts come many a second, each would read it. A key revoked
   * or a merchant suspended in the database is refused within that time.
   */
  public static final int API_KEYS_CACHED_MAX = 10_000;
  private static final String FIND_API_KEY = "SELECT k.key_hash, k.merchant_id FROM api_keys k"
      + " JOIN merchants m ON m.id = k.merchant_id"
      + " WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND m.status = 'active'";

  /** The shop console's session cookie; {@link #SECURE_COOKIE_PREFIX} before it when sent over TLS only. */
  public static final String SHOP_COOKIE = "keyhold_shop";
  /** The operator console's session cookie. */
  public static final String OPS_COOKIE = "keyhold_ops";
  /** Browsers keep a {@code __Host-} cookie only when Secure, for this host and path /: no subdomain can set it. */
  public static final String SECURE_COOKIE_PREFIX = "__Host-";
  /** The header carrying a console session's CSRF token. */
  public static final String CSRF_HEADER = "X-Keyhold-CSRF";
  /** Key of the {@link ConsoleSessions.Session} in the routing context, when the caller came by cookie. */
  public static final String SESSION = "keyhold.consoleSession";

  private final Pool pool;
  private final ConsoleSessions sessions;
  private final byte[] adminTokenHash;
  private final OrderStore orders;
  private final Cache<String, String> merchantsByKeyHash = ShortLivedCache.of(API_KEYS_CACHED_MAX);

  /** {@code orders}: where a buyer's order token is checked (its hash kept once known). */
  public Authenticator(Pool pool, OrderStore orders, String adminToken, ConsoleSessions sessions) {
    this.pool = pool;
    this.orders = Objects.requireNonNull(orders, "orders");
    this.sessions = sessions;
    this.adminTokenHash = SecretHasher.hash(adminToken);
  }

  /** Resolves the caller a route needs; fails with 401 otherwise (404 for a buyer's wrong order token). */
  public Future<Caller> authenticate(RoutingContext ctx, Caller.Kind needed) {
    if (needed == Caller.Kind.PUBLIC) {
      return Future.succeededFuture(Caller.PUBLIC);
    }
    String token = bearer(ctx);
    if (needed == Caller.Kind.BUYER) {
      return buyer(ctx, token != null ? token : ctx.request().getParam(ORDER_TOKEN_PARAM));
    }
    if (token == null) {
      return bySession(ctx, needed);
    }
    if (needed == Caller.Kind.ADMIN) {
      return isAdminToken(token) ? Future.succeededFuture(Caller.ADMIN) : unauthenticated();
    }
    return merchantByKey(token);
  }

  /** The console sessions cookies are checked against. */
  public ConsoleSessions sessions() {
    return sessions;
  }

  /** True when {@code token} is the admin token (constant time). */
  public boolean isAdminToken(String token) {
    return token != null && token.length() <= TOKEN_LENGTH_MAX && SecretHasher.matches(token, adminTokenHash);
  }

  /** The merchant whose active API key {@code token} is; fails with 401 {@code unauthenticated} otherwise. */
  public Future<Caller> merchantByKey(String token) {
    if (token == null || token.length() > TOKEN_LENGTH_MAX || !token.startsWith(MerchantService.API_KEY_PREFIX)) {
      return unauthenticated();
    }
    byte[] hash = SecretHasher.hash(token);
    String hashKey = HexFormat.of().formatHex(hash);
    String known = merchantsByKeyHash.getIfPresent(hashKey);
    if (known != null) {
      return Future.succeededFuture(Caller.merchant(known));
    }
    return pool.preparedQuery(FIND_API_KEY)
        .execute(Tuple.of(Buffer.buffer(hash)))
        .compose(rows -> merchantOf(rows, token))
        .onSuccess(caller -> merchantsByKeyHash.put(hashKey, caller.merchantId()));
  }

  /**
   * The caller of a console session cookie: the shop console's on merchant routes, the operator console's on
   * operator routes. A session of the other kind, an unknown or ended one, or none is 401; a change without the
   * session's CSRF token is 403 {@code csrf_token_invalid}.
   */
  private Future<Caller> bySession(RoutingContext ctx, Caller.Kind needed) {
    if (sessions == null || needed != Caller.Kind.MERCHANT && needed != Caller.Kind.ADMIN) {
      return unauthenticated();
    }
    String id = sessionCookie(ctx, needed == Caller.Kind.ADMIN ? OPS_COOKIE : SHOP_COOKIE);
    if (id == null) {
      return unauthenticated();
    }
    ConsoleSessions.Kind kind = needed == Caller.Kind.ADMIN ? ConsoleSessions.Kind.OPERATOR
        : ConsoleSessions.Kind.MERCHANT;
    return sessions.find(id).compose(session -> {
      if (session == null || session.kind() != kind) {
        return unauthenticated();
      }
      HttpMethod method = ctx.request().method();
      if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
        String presented = ctx.request().getHeader(CSRF_HEADER);
        if (presented == null || !MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
            session.csrfToken().getBytes(StandardCharsets.UTF_8))) {
          return Future.failedFuture(new ProblemException(ProblemCode.CSRF_TOKEN_INVALID,
              "Send the " + CSRF_HEADER + " header your console session gave you with every change"));
        }
      }
      ctx.put(SESSION, session);
      return Future.succeededFuture(kind == ConsoleSessions.Kind.OPERATOR ? Caller.ADMIN
          : Caller.merchant(session.merchantId()));
    });
  }

  /** The value of the session cookie {@code name}, the {@code __Host-} one first; null when neither is sent. */
  public static String sessionCookie(RoutingContext ctx, String name) {
    Cookie secure = ctx.request().getCookie(SECURE_COOKIE_PREFIX + name);
    Cookie plain = secure != null ? secure : ctx.request().getCookie(name);
    return plain == null || plain.getValue().isEmpty() ? null : plain.getValue();
  }

  /**
   * A handler for operator reads outside the API ({@code /metrics}): lets a request through when it bears
   * the admin token or {@code readerToken} (when not null, a token that reads nothing else), and fails it
   * with 401 {@code unauthenticated} otherwise.
   */
  public Handler<RoutingContext> operatorOrReader(String readerToken) {
    byte[] readerTokenHash = readerToken == null ? null : SecretHasher.hash(readerToken);
    return ctx -> {
      String token = bearer(ctx);
      boolean admitted = token != null && (SecretHasher.matches(token, adminTokenHash)
          || readerTokenHash != null && SecretHasher.matches(token, readerTokenHash));
      if (admitted) {
        ctx.next();
      } else {
        ctx.fail(unauthenticatedProblem());
      }
    };
  }

  /**
   * The buyer of the order in the path parameter {@code id}, proven by that order's token. An unknown
   * order and a wrong token get the same 404, so a token holder learns nothing about other orders.
   */
  private Future<Caller> buyer(RoutingContext ctx, String token) {
    if (token == null || token.isEmpty() || token.length() > TOKEN_LENGTH_MAX) {
      return unauthenticated();
    }
    String orderId = ctx.pathParam("id");
    if (orderId == null || orderId.length() > TOKEN_LENGTH_MAX) {
      return noSuchOrder();
    }
    return orders.buyerTokenMatches(orderId, token)
        .compose(matches -> matches ? Future.succeededFuture(Caller.buyer(orderId)) : noSuchOrder());
  }

  private static Future<Caller> noSuchOrder() {
    return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND,
        "No order with this id for this token; use the link from your checkout"));
  }

  private static Future<Caller> merchantOf(RowSet<Row> rows, String token) {
    Iterator<Row> it = rows.iterator();
    if (!it.hasNext()) {
      return unauthenticated();
    }
    Row row = it.next();
    // The index found the row by hash already; the constant-time check guards against any future
    // lookup that matches loosely (a prefix index, a cache).
    if (!SecretHasher.matches(token, row.getBuffer("key_hash").getBytes())) {
      return unauthenticated();
    }
    return Future.succeededFuture(Caller.merchant(row.getString("merchant_id")));
  }

  private static String bearer(RoutingContext ctx) {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || header.length() > TOKEN_LENGTH_MAX + 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  private static Future<Caller> unauthenticated() {
    return Future.failedFuture(unauthenticatedProblem());
  }

  private static ProblemException unauthenticatedProblem() {
    return new ProblemException(ProblemCode.UNAUTHENTICATED,
        "Send 'Authorization: Bearer <token>' with a valid token for this endpoint");
  }
}
