package io.keyhold.simulator.env;

import io.keyhold.adapters.reference.epay.EpayFaults;
import io.keyhold.adapters.reference.epay.EpaySite;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The stand-in 易支付 site of one run ({@link EpaySite}, MD5 signing), on {@value #HOST} and its own Vert.x: the
 * site the gateway's {@code epay} provider sends the buyers to, notifies the gateway, and answers its query and
 * refund calls. An in-process gateway is configured for it ({@link #providerConfig()}); a running gateway must be
 * configured with the same base URL, pid and key before the run.
 */
public final class EpayStandIn implements AutoCloseable {
  /** The site listens here: a host the gateway's epay provider accepts over plain http (loopback only). */
  public static final String HOST = "127.0.0.1";
  public static final String DEFAULT_PID = "1001";
  public static final long START_TIMEOUT_MS = 30_000;
  /** Generated keys: 32 random bytes, hex (the provider takes 16 to 128 characters). */
  private static final int GENERATED_KEY_BYTES = 32;

  private final Vertx vertx;
  private final EpaySite site;
  private final String pid;
  private final String key;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EpayStandIn(Vertx vertx, EpaySite site, String pid, String key) {
    this.vertx = vertx;
    this.site = site;
    this.pid = pid;
    this.key = key;
  }

  /**
   * Starts the site. Blocking.
   *
   * @param port the port, or 0 for a free one
   * @param pid the merchant id the gateway is configured with
   * @param key the merchant key the gateway is configured with, or null for a generated one
   * @param faults the site's notice faults
   * @param seed the seed of the site's repeats and delays
   */
  public static EpayStandIn start(int port, String pid, String key, EpayFaults faults, long seed) throws Exception {
    String merchantKey = key != null ? key : generatedKey();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    try {
      EpaySite site = EpaySite.start(vertx, new EpaySite.Options(HOST, port, pid, merchantKey, null, null,
          Clock.systemUTC(), seed)).toCompletionStage().toCompletableFuture().get(START_TIMEOUT_MS,
          TimeUnit.MILLISECONDS);
      site.faults(faults);
      return new EpayStandIn(vertx, site, pid, merchantKey);
    } catch (Exception e) {
      vertx.close();
      throw e;
    }
  }

  private static String generatedKey() {
    byte[] bytes = new byte[GENERATED_KEY_BYTES];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  public String baseUrl() {
    return site.baseUrl();
  }

  public String pid() {
    return pid;
  }

  public EpayFaults faults() {
    return site.faults();
  }

  /** The gateway's {@code payments.providers.epay} for this site, key included: never print it. */
  public JsonObject providerConfig() {
    return new JsonObject().put("api_base_url", baseUrl()).put("pid", pid).put("key", key);
  }

  /** How the report names the site (never with the key). */
  public String describe() {
    return "stand-in 易支付 site at " + baseUrl() + " (pid " + pid + ")";
  }

  /** Notices the site sent so far, retries and repeats included. */
  public int noticesSent() {
    return site.sentNotices().size();
  }

  /** Stops the site; safe to call twice (a shutdown hook may race the run). Blocking. */
  @Override
  public void close() throws Exception {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      site.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public String toString() {
    return "EpayStandIn[" + baseUrl() + ", pid " + pid + ", key redacted]";
  }
}
