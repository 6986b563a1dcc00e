package io.keyhold.adapters.http;

import io.keyhold.adapters.outbound.OutboundRules;
import io.keyhold.adapters.signature.Signatures;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.Secrets;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Optional;

/**
 * Where and how to reach one shop or issuer speaking the merchant protocol, read from an adapter's
 * configuration and secrets ({@link HttpSettings}).
 *
 * <p>Configuration fields: {@code base_url} (required; a URL the context's
 * {@link io.keyhold.adapters.outbound.OutboundRules} accept: {@code https}, or a host the operator
 * allow-listed), {@code replay_window_seconds} (default
 * {@value Signatures#DEFAULT_REPLAY_WINDOW_SECONDS}). Secrets: {@value #SECRET} (required) and
 * {@value #NEXT_SECRET} (during a rotation). Other configuration fields are left to the gateway.
 *
 * @param baseUrl the base URL, without a trailing slash
 * @param replayWindowSeconds the replay window for answers
 */
record HttpEndpoint(String baseUrl, int replayWindowSeconds) {

  /** The name of the current signing secret in {@link Secrets}. */
  static final String SECRET = HttpSettings.SIGNING_SECRET;
  /** The name of the second signing secret, active during a rotation. */
  static final String NEXT_SECRET = HttpSettings.SIGNING_SECRET_NEXT;

  /** Reads the endpoint; a missing or bad field is an {@link IllegalArgumentException} naming it. */
  static HttpEndpoint fromConfig(JsonObject config, OutboundRules rules) {
    Object rawUrl = config.getValue(HttpSettings.BASE_URL);
    if (!(rawUrl instanceof String url) || url.isBlank()) {
      throw new IllegalArgumentException("base_url must be set to an https URL, but was " + rawUrl);
    }
    Optional<String> problem = HttpSettings.baseUrlProblem(url)
        .or(() -> rules.refusal(URI.create(url)));
    if (problem.isPresent()) {
      throw new IllegalArgumentException("base_url " + problem.get() + ", but was '" + url + "'");
    }
    Object window = config.getValue(HttpSettings.REPLAY_WINDOW_SECONDS, Signatures.DEFAULT_REPLAY_WINDOW_SECONDS);
    if (!(window instanceof Integer seconds) || seconds < HttpSettings.REPLAY_WINDOW_SECONDS_MIN
        || seconds > HttpSettings.REPLAY_WINDOW_SECONDS_MAX) {
      throw new IllegalArgumentException("replay_window_seconds must be between " + HttpSettings.REPLAY_WINDOW_SECONDS_MIN
          + " and " + HttpSettings.REPLAY_WINDOW_SECONDS_MAX + ", but was " + window);
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
