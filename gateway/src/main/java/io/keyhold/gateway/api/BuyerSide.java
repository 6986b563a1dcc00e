package io.keyhold.gateway.api;

import io.keyhold.gateway.api.pages.PageRoutes;
import io.keyhold.gateway.crypto.EvidenceSigner;
import io.keyhold.gateway.engine.BuyerOrders;
import io.keyhold.gateway.engine.Disputes;
import io.keyhold.gateway.engine.EvidenceBundles;
import io.keyhold.gateway.engine.KeyOpener;
import io.keyhold.gateway.engine.LedgerAudit;
import io.keyhold.gateway.store.KeyStore;
import io.keyhold.gateway.store.OperationsFigures;
import io.keyhold.gateway.store.OrderStore;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Mounts the buyer side of the gateway in one call: the buyer API with its live event streams, the
 * signed evidence bundles and their key, the buyer pages, and the operator's audit and dispute
 * routes. Answers the services so the gateway (and tests) can reach them.
 */
public final class BuyerSide {
  private final BuyerOrders buyers;
  private final OrderStreams streams;
  private final EvidenceBundles evidence;
  private final LedgerAudit audit;
  private final Disputes disputes;

  private BuyerSide(BuyerOrders buyers, OrderStreams streams, EvidenceBundles evidence, LedgerAudit audit,
      Disputes disputes) {
    this.buyers = buyers;
    this.streams = streams;
    this.evidence = evidence;
    this.audit = audit;
    this.disputes = disputes;
  }

  public static BuyerSide mount(Endpoints endpoints, Vertx vertx, Pool pool, OrderStore orders, KeyStore keyStore,
      EvidenceSigner signer, Clock clock) {
    KeyOpener keys = (merchantId, orderId, keyRefs) -> keyStore.open(pool, merchantId, orderId, keyRefs)
        .map(opened -> {
          Map<String, String> plain = new HashMap<>();
          opened.forEach((keyRef, key) -> plain.put(keyRef, key.reveal()));
          return plain;
        });
    BuyerOrders buyers = new BuyerOrders(pool, orders, keys);
    OrderStreams streams = new OrderStreams(vertx, pool, buyers);
    EvidenceBundles evidence = new EvidenceBundles(vertx, pool, orders, signer, clock);
    LedgerAudit audit = new LedgerAudit(pool, clock);
    Disputes disputes = new Disputes(pool, orders);
    BuyerRoutes.mount(endpoints, buyers, streams, evidence);
    AuditRoutes.mount(endpoints, audit, new OperationsFigures(pool), clock);
    DisputeRoutes.mount(endpoints, disputes, evidence);
    PageRoutes.mount(endpoints, vertx);
    return new BuyerSide(buyers, streams, evidence, audit, disputes);
  }

  /**
   * Wraps the router's request timeout for the buyer side: event streams, which stay open on
   * purpose, skip it (see {@link OrderStreams#exceptStreams}); and every answer on a buyer path
   * ({@code /v1/buyer/}, {@code /orders/}, {@code /checkout/}), errors included, is marked
   * {@code Cache-Control: no-store}. Install it where the plain timeout handler would go.
   */
  public static Handler<RoutingContext> edge(Handler<RoutingContext> timeout) {
    Handler<RoutingContext> timed = OrderStreams.exceptStreams(timeout);
    return ctx -> {
      String path = ctx.request().path();
      if (path.startsWith("/v1/buyer/") || path.startsWith("/orders/") || path.startsWith("/checkout/")) {
        ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, BuyerRoutes.NO_STORE);
      }
      timed.handle(ctx);
    };
  }

  public BuyerOrders buyers() {
    return buyers;
  }

  public OrderStreams streams() {
    return streams;
  }

  public EvidenceBundles evidence() {
    return evidence;
  }

  public LedgerAudit audit() {
    return audit;
  }

  public Disputes disputes() {
    return disputes;
  }
}
