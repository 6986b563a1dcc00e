package io.keyhold.adapters.reference;

import io.keyhold.adapters.http.MerchantProtocol;
import io.keyhold.adapters.signature.Signatures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The reference merchant's HTTP server: wires the merchant protocol and issuer check of PROTOCOL.md
 * ({@link ProtocolExchange} running {@link ProtocolOperations}, spoiled by {@link FaultInjection}) and
 * the unsigned {@link AdminRoutes}. All state lives on this verticle's event loop.
 */
final class ReferenceMerchantVerticle extends VerticleBase {

  /** Admin bodies are tiny. */
  private static final int ADMIN_BODY_BYTES_MAX = 4_096;
  private static final long EXPIRY_SWEEP_MS = 1_000;

  private final ReferenceMerchantOptions options;
  private final Signatures merchantSignatures;
  private final Signatures issuerSignatures;
  private final SplittableRandom random;
  private volatile Faults faults;
  private ReferenceStock stock;
  private FaultInjection injection;
  private ProtocolExchange exchange;
  private HttpServer server;
  private long sweepTimer = -1;

  ReferenceMerchantVerticle(ReferenceMerchantOptions options) {
    this.options = options;
    this.merchantSignatures = signatures(options.secrets());
    this.issuerSignatures = signatures(options.issuerSecrets());
    this.random = new SplittableRandom(options.seed());
    this.faults = options.faults();
  }

  private Signatures signatures(List<String> secrets) {
    return Signatures.builder()
        .secrets(secrets)
        .clock(options.clock())
        .replayWindowSeconds(options.replayWindowSeconds())
        .build();
  }

  @Override
  public Future<?> start() {
    stock = new ReferenceStock(options.stock(), options.clock(), random.split());
    injection = new FaultInjection(vertx, random, options);
    exchange = new ProtocolExchange(vertx, merchantSignatures, issuerSignatures, this::faults, injection);
    ProtocolOperations operations = new ProtocolOperations(stock,
        () -> faults.appliesTo(Faults.Scope.MERCHANT) ? faults : Faults.none());
    AdminRoutes admin = new AdminRoutes(this::faults, this::faults, this::stats, stock::redeem);

    Router router = Router.router(vertx);
    router.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(MerchantProtocol.BODY_BYTES_MAX));
    router.route("/_*").handler(BodyHandler.create(false).setBodyLimit(ADMIN_BODY_BYTES_MAX));
    router.post(MerchantProtocol.PATH_RESERVATIONS).handler(exchange.handler(Faults.Scope.MERCHANT, operations::reserve));
    router.post(MerchantProtocol.PATH_CANCEL_RESERVATION).handler(exchange.handler(Faults.Scope.MERCHANT, operations::cancel));
    router.post(MerchantProtocol.PATH_DELIVERIES).handler(exchange.handler(Faults.Scope.MERCHANT, operations::deliver));
    router.post(MerchantProtocol.PATH_REPLACEMENTS).handler(exchange.handler(Faults.Scope.MERCHANT, operations::replace));
    router.post(MerchantProtocol.PATH_CHECKS).handler(exchange.handler(Faults.Scope.ISSUER, operations::check));
    // Probes for a container platform, outside the protocol: no fault ever applies to them. Its stock lives in
    // memory, so once it listens it is ready.
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "up")));
    router.get("/health/ready").handler(ctx -> ctx.json(new JsonObject().put("status", "ready")));
    admin.mount(router);
    router.route("/v1/*").failureHandler(exchange::failure);
    router.route().failureHandler(admin::failure);
    sweepTimer = vertx.setPeriodic(EXPIRY_SWEEP_MS, id -> stock.expireDue());
    server = vertx.createHttpServer().requestHandler(router);
    return server.listen(options.port(), options.host());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweepTimer);
    injection.cancelHolds();
    return server.close();
  }

  int actualPort() {
    return server.actualPort();
  }

  void faults(Faults faults) {
    this.faults = faults;
  }

  Faults faults() {
    return faults;
  }

  /** Runs {@code action} on this verticle's event loop, where the stock lives. */
  <T> Future<T> onLoop(Supplier<T> action) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        promise.complete(action.get());
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }

  JsonObject stats() {
    return new JsonObject()
        .put("requests", exchange.requests())
        .put("rejected_signatures", exchange.rejectedSignatures())
        .put("held_requests", injection.heldRequests())
        .put("injected_errors", injection.injectedErrors())
        .put("keys_handed_out", stock.keysHandedOut())
        .put("free_keys", new JsonObject(new LinkedHashMap<>(stock.freeCounts())));
  }

  boolean redeem(String key) {
    return stock.redeem(key);
  }
}
