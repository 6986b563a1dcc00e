package io.keyhold.adapters.reference;

import io.keyhold.adapters.spi.CardKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A small card shop that speaks the Keyhold merchant protocol (PROTOCOL.md) and nothing more, with a
 * stock of generated keys (16 digits, Luhn check digit) and a fake issuer that answers the check
 * endpoint for them. Tests, the simulator, and shops writing their own endpoint use it; its faults
 * (latency, errors, timeouts, invalid, redeemed or duplicate keys, wrong signatures, malformed
 * answers) are set at start and switched at run time.
 *
 * <p>Endpoints, all below its base URL: the protocol's {@code POST /v1/reservations},
 * {@code /v1/reservations/cancel}, {@code /v1/deliveries}, {@code /v1/replacements} and
 * {@code /v1/checks}; and, unsigned, for operators and tests: {@code GET|POST /_faults} (the JSON form
 * of {@link Faults}), {@code GET /_stats}, {@code POST /_issuer/redeem {"key": ...}}. Bind it to a
 * loopback address: the admin endpoints have no authentication.
 *
 * <p>Embedding: {@code ReferenceMerchant.start(vertx, options)} on port 0, {@link #port()},
 * {@link #close()}.
 */
public final class ReferenceMerchant {

  private final Vertx vertx;
  private final ReferenceMerchantVerticle verticle;
  private final String deploymentId;
  private final String host;

  private ReferenceMerchant(Vertx vertx, ReferenceMerchantVerticle verticle, String deploymentId, String host) {
    this.vertx = vertx;
    this.verticle = verticle;
    this.deploymentId = deploymentId;
    this.host = host;
  }

  /** Starts a reference merchant on {@code vertx}; completes once it listens. */
  public static Future<ReferenceMerchant> start(Vertx vertx, ReferenceMerchantOptions options) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(options, "options");
    ReferenceMerchantVerticle verticle;
    try {
      verticle = new ReferenceMerchantVerticle(options);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return vertx.deployVerticle(verticle)
        .map(id -> new ReferenceMerchant(vertx, verticle, id, options.host()));
  }

  /** The port it listens on (the one picked, when started on port 0). */
  public int port() {
    return verticle.actualPort();
  }

  /** Its base URL, e.g. {@code http://127.0.0.1:9100}; the protocol's paths follow it. */
  public String baseUrl() {
    String shownHost = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + shownHost + ":" + port();
  }

  /** The faults in force. */
  public Faults faults() {
    return verticle.faults();
  }

  /** Switches faults; takes effect for the next request. */
  public void faults(Faults faults) {
    verticle.faults(Objects.requireNonNull(faults, "faults"));
  }

  /** Counters: requests, rejected signatures, held requests, injected errors, keys handed out, free keys per SKU. */
  public Future<JsonObject> stats() {
    return verticle.onLoop(verticle::stats);
  }

  /** Marks a key redeemed at the fake issuer, as a buyer using it would; false for a key it does not know. */
  public Future<Boolean> redeem(CardKey key) {
    return verticle.onLoop(() -> verticle.redeem(key.reveal()));
  }

  /** Stops listening and drops its state. */
  public Future<Void> close() {
    return vertx.undeploy(deploymentId);
  }
}
