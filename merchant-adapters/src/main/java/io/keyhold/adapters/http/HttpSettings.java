package io.keyhold.adapters.http;

import io.keyhold.adapters.resilience.MerchantPolicy;
import io.keyhold.adapters.signature.Signatures;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The settings of the {@code http} adapter and of the {@code http} validator (the issuer check), by
 * the names and bounds the gateway's API takes and documents: one place, read by the adapter when it
 * is built and by the gateway when a merchant or SKU is created, so what the API accepts is what
 * builds.
 *
 * <p>Configuration: {@value #BASE_URL} (required), {@value #REPLAY_WINDOW_SECONDS} (default
 * {@value Signatures#DEFAULT_REPLAY_WINDOW_SECONDS}). Secrets: {@value #SIGNING_SECRET} (required),
 * {@value #SIGNING_SECRET_NEXT} (during a rotation). {@value #TIMEOUT_MS} is the time limit of one
 * call: whoever builds the context turns it into {@link MerchantPolicy#timeoutMs()}.
 */
public final class HttpSettings {
  /** The shop's (or issuer's) base URL; the protocol's paths are appended to it. */
  public static final String BASE_URL = "base_url";
  /** The current signing secret. */
  public static final String SIGNING_SECRET = "signing_secret";
  /** The second signing secret, active during a rotation (PROTOCOL.md, section 3.4). */
  public static final String SIGNING_SECRET_NEXT = "signing_secret_next";
  /** How far a signature's time may be from ours, either way. */
  public static final String REPLAY_WINDOW_SECONDS = "replay_window_seconds";
  /** The time limit of one call, in milliseconds. */
  public static final String TIMEOUT_MS = "timeout_ms";

  /** The names that are secrets: stored sealed, handed over as {@code Secrets}, never shown. */
  public static final Set<String> SECRET_NAMES = Set.of(SIGNING_SECRET, SIGNING_SECRET_NEXT);
  /** Every setting, secrets included. */
  public static final Set<String> NAMES = Set.of(BASE_URL, SIGNING_SECRET, SIGNING_SECRET_NEXT,
      REPLAY_WINDOW_SECONDS, TIMEOUT_MS);

  /** Characters; at least {@link Signatures#SECRET_BYTES_MIN} bytes in UTF-8 whatever they are. */
  public static final int SECRET_LENGTH_MIN = Signatures.SECRET_BYTES_MIN;
  /** Characters; a secret is shared text, not a document. */
  public static final int SECRET_LENGTH_MAX = 256;
  public static final int URL_LENGTH_MAX = 2048;
  /** Below this no shop answers reliably, and every call would count as unknown. */
  public static final int TIMEOUT_MS_MIN = 100;
  public static final int TIMEOUT_MS_MAX = MerchantPolicy.TIMEOUT_MS_MAX;
  public static final int REPLAY_WINDOW_SECONDS_MIN = 1;
  public static final int REPLAY_WINDOW_SECONDS_MAX = Signatures.REPLAY_WINDOW_SECONDS_MAX;

  private HttpSettings() {}

  /**
   * What is wrong with {@code url} as a base URL by its form alone (not by where it points: see
   * {@link io.keyhold.adapters.outbound.OutboundRules}), completing "the URL ...", or empty.
   */
  public static Optional<String> baseUrlProblem(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Optional.of("must be an absolute http(s) URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      return Optional.of("must be an absolute http(s) URL");
    }
    if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null) {
      return Optional.of("must have a host and no query, fragment or user");
    }
    return Optional.empty();
  }
}
