package io.keyhold.gateway.api.console;

import io.keyhold.gateway.api.ApiRequest;
import io.keyhold.gateway.api.Authenticator;
import io.keyhold.gateway.api.Caller;
import io.keyhold.gateway.api.Endpoints;
import io.keyhold.gateway.api.Problem;
import io.keyhold.gateway.api.ProblemCode;
import io.keyhold.gateway.api.ProblemException;
import io.keyhold.gateway.api.Problems;
import io.keyhold.gateway.api.Reply;
import io.keyhold.gateway.store.ConsoleSessions;
import io.keyhold.gateway.store.Wire;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Console sign-in and sign-out (issue 17). {@code POST /console/session} takes a merchant's API key and
 * {@code POST /ops/session} the admin token; each answers the session's CSRF token and sets the session cookie
 * ({@code HttpOnly; SameSite=Strict; Path=/}, {@code Secure} and {@code __Host-} over TLS), so the key never stays in
 * the browser. {@code GET .../session} tells a reloaded page who it is and its CSRF token again;
 * {@code POST .../session/end} deletes the session and the cookie. A wrong key or token is 401 like anywhere else,
 * counted per address ({@link SignInThrottle}), and never logged.
 */
public final class ConsoleRoutes {
  private final Authenticator authenticator;
  private final ConsoleSessions sessions;
  private final boolean behindTls;
  private final SignInThrottle throttle = new SignInThrottle();
  private final Counter failures;

  private ConsoleRoutes(Authenticator authenticator, ConsoleSessions sessions, boolean behindTls,
      MeterRegistry registry) {
    this.authenticator = authenticator;
    this.sessions = sessions;
    this.behindTls = behindTls;
    this.failures = Counter.builder("keyhold.console.sign_in.failures")
        .description("Console sign-ins refused for a wrong key or token").register(registry);
  }

  /**
   * Mounts the routes.
   *
   * @param behindTls the gateway is reached over TLS ended in front of it (its public base URL is https), so
   *     cookies are Secure even though the request reaching it is plain HTTP
   */
  public static void mount(Endpoints endpoints, Authenticator authenticator, ConsoleSessions sessions,
      boolean behindTls, MeterRegistry registry) {
    ConsoleRoutes routes = new ConsoleRoutes(authenticator, sessions, behindTls, registry);
    endpoints.post("createShopSession", Caller.Kind.PUBLIC, routes::signInShop);
    endpoints.get("getShopSession", Caller.Kind.MERCHANT, request -> routes.current(request, Authenticator.SHOP_COOKIE));
    endpoints.post("endShopSession", Caller.Kind.MERCHANT, request -> routes.end(request, Authenticator.SHOP_COOKIE));
    endpoints.post("createOpsSession", Caller.Kind.PUBLIC, routes::signInOps);
    endpoints.get("getOpsSession", Caller.Kind.ADMIN, request -> routes.current(request, Authenticator.OPS_COOKIE));
    endpoints.post("endOpsSession", Caller.Kind.ADMIN, request -> routes.end(request, Authenticator.OPS_COOKIE));
  }

  private Future<Reply> signInShop(ApiRequest request) {
    // The OpenAPI document already held the body to one string member of bounded length.
    String key = request.body().getString("api_key");
    String address = address(request);
    if (throttle.refuses(address)) {
      return throttled(request);
    }
    return authenticator.merchantByKey(key)
        .recover(failure -> refused(address, failure))
        .compose(caller -> sessions.create(caller.requireMerchantId()))
        .map(created -> signedIn(request, created, Authenticator.SHOP_COOKIE));
  }

  private Future<Reply> signInOps(ApiRequest request) {
    String token = request.body().getString("admin_token");
    String address = address(request);
    if (throttle.refuses(address)) {
      return throttled(request);
    }
    if (!authenticator.isAdminToken(token)) {
      return refused(address, null);
    }
    return sessions.create(null).map(created -> signedIn(request, created, Authenticator.OPS_COOKIE));
  }

  private <T> Future<T> refused(String address, Throwable failure) {
    Problem known = failure == null ? null : Problems.known(failure);
    if (failure != null && (known == null || known.code() != ProblemCode.UNAUTHENTICATED)) {
      return Future.failedFuture(failure);
    }
    throttle.failed(address);
    failures.increment();
    return Future.failedFuture(new ProblemException(ProblemCode.UNAUTHENTICATED,
        "This key signs nobody in; use the merchant API key (khk_...) or the admin token you were given"));
  }

  private static Future<Reply> throttled(ApiRequest request) {
    request.routingContext().put(Problems.RETRY_AFTER_SECONDS_KEY, SignInThrottle.retryAfterSeconds());
    return Future.failedFuture(new ProblemException(ProblemCode.SIGN_IN_THROTTLED,
        "More than " + SignInThrottle.FAILURES_MAX + " failed sign-ins from this address within "
            + SignInThrottle.WINDOW.toSeconds() + " s"));
  }

  private Reply signedIn(ApiRequest request, ConsoleSessions.Created created, String cookie) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Set-Cookie", cookie(request, cookie, created.id(), sessions.lifetimes().maxSeconds()));
    headers.put("Cache-Control", "no-store");
    return new Reply(201, Reply.JSON, describe(created.session()).toBuffer(), headers);
  }

  private Future<Reply> current(ApiRequest request, String cookie) {
    ConsoleSessions.Session session = request.routingContext().get(Authenticator.SESSION);
    if (session == null) {
      // A bearer key reached here: there is no session to describe.
      return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND,
          "No console session: sign in at " + (Authenticator.OPS_COOKIE.equals(cookie) ? "/ops" : "/console")));
    }
    return Future.succeededFuture(new Reply(200, Reply.JSON, describe(session).toBuffer(),
        Map.of("Cache-Control", "no-store")));
  }

  private Future<Reply> end(ApiRequest request, String cookie) {
    ConsoleSessions.Session session = request.routingContext().get(Authenticator.SESSION);
    Future<Void> ended = session == null ? Future.succeededFuture() : sessions.end(session);
    return ended.map(done -> new Reply(200, Reply.JSON, new JsonObject().put("signed_out", true).toBuffer(),
        Map.of("Set-Cookie", cookie(request, cookie, "", 0), "Cache-Control", "no-store")));
  }

  private JsonObject describe(ConsoleSessions.Session session) {
    return new JsonObject()
        .put("kind", session.kind().code())
        .put("merchant_id", session.merchantId())
        .put("csrf_token", session.csrfToken())
        .put("expires_at", Wire.time(session.expiresAt()))
        .put("idle_seconds", sessions.lifetimes().idleSeconds());
  }

  /** The Set-Cookie value: HttpOnly, SameSite=Strict, Path=/; Secure and {@code __Host-} when reached over TLS. */
  private String cookie(ApiRequest request, String name, String value, long maxAgeSeconds) {
    boolean secure = behindTls || request.routingContext().request().isSSL();
    return (secure ? Authenticator.SECURE_COOKIE_PREFIX : "") + name + "=" + value
        + "; Path=/; Max-Age=" + maxAgeSeconds + "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
  }

  private static String address(ApiRequest request) {
    SocketAddress remote = request.routingContext().request().remoteAddress();
    return remote == null || remote.hostAddress() == null ? "unknown" : remote.hostAddress();
  }
}
