package io.keyhold.adapters.http;

import io.keyhold.adapters.signature.Signatures;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.Secrets;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * Where and how to reach one shop or issuer speaking the merchant protocol, read from an adapter's
 * configuration and secrets.
 *
 * <p>Configuration fields: {@code base_url} (required; {@code https}, or {@code http} towards a
 * loopback address or with {@code allow_plain_http: true}), {@code replay_window_seconds} (default
 * {@value Signatures#DEFAULT_REPLAY_WINDOW_SECONDS}). Secrets: {@value #SECRET} (required) and
 * {@value #NEXT_SECRET} (during a rotation). Other configuration fields are left to the gateway.
 *
 * @param baseUrl the base URL, without a trailing slash
 * @param replayWindowSeconds the replay window for answers
 */
record HttpEndpoint(String baseUrl, int replayWindowSeconds) {

  /** The name of the current signing secret in {@link Secrets}. */
  static final String SECRET = "signing_secret";
  /** The name of the second signing secret, active during a rotation. */
  static final String NEXT_SECRET = "signing_secret_next";

  private static final Set<String> LOOPBACK_HOSTS = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

  /** Reads the endpoint; a missing or bad field is an {@link IllegalArgumentException} naming it. */
  static HttpEndpoint fromConfig(JsonObject config) {
    Object rawUrl = config.getValue("base_url");
    if (!(rawUrl instanceof String url) || url.isBlank()) {
      throw new IllegalArgumentException("base_url must be set to an http(s) URL, but was " + rawUrl);
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("base_url must be a URL, but was '" + url + "'");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new IllegalArgumentException("base_url must use https, but was '" + url + "'");
    }
    if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("base_url must have a host and no query, fragment or user, but was '" + url + "'");
    }
    Object allowPlain = config.getValue("allow_plain_http", Boolean.FALSE);
    if (!(allowPlain instanceof Boolean)) {
      throw new IllegalArgumentException("allow_plain_http must be true or false, but was " + allowPlain);
    }
    if (scheme.equals("http") && !LOOPBACK_HOSTS.contains(uri.getHost()) && !((Boolean) allowPlain)) {
      throw new IllegalArgumentException("base_url must use https outside loopback (or set allow_plain_http), but was '"
          + url + "'");
    }
    Object window = config.getValue("replay_window_seconds", Signatures.DEFAULT_REPLAY_WINDOW_SECONDS);
    if (!(window instanceof Integer seconds) || seconds < 1 || seconds > Signatures.MAX_REPLAY_WINDOW_SECONDS) {
      throw new IllegalArgumentException("replay_window_seconds must be between 1 and "
          + Signatures.MAX_REPLAY_WINDOW_SECONDS + ", but was " + window);
    }
    String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    return new HttpEndpoint(base, seconds);
  }

  /** The signer and verifier for this endpoint, from the context's secrets and clock. */
  Signatures signatures(AdapterContext context) {
    Secrets secrets = context.secrets();
    Signatures.Builder builder = Signatures.builder()
        .clock(context.clock())
        .replayWindowSeconds(replayWindowSeconds)
        .secret(secrets.require(SECRET));
    secrets.get(NEXT_SECRET).ifPresent(builder::secret);
    return builder.build();
  }
}
