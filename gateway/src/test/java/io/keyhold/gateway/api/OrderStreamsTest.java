package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.OrderEvent;
import io.keyhold.gateway.store.OrderChanges;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stream hub on its own HTTP route, with small limits and a fast heartbeat: changes announced by
 * nobody (another gateway instance) still arrive, and the limit over all orders holds.
 */
class OrderStreamsTest {
  static final long HEARTBEAT_MS = 200;
  static TestGateway gw;
  static Purchases purchases;
  static Purchases.Shop shop;
  static OrderStreams streams;
  static HttpServer server;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    purchases = new Purchases(gw);
    shop = purchases.stockShop(10, null);
    Vertx vertx = gw.gateway().vertx();
    streams = new OrderStreams(vertx, gw.gateway().pool(), gw.gateway().buyerSide().buyers(), 2, 3, HEARTBEAT_MS);
    Router router = Router.router(vertx);
    router.get("/streams/:id").handler(ctx -> streams.serve(ctx, ctx.pathParam("id")).onFailure(failure ->
        ctx.response().setStatusCode(((ProblemException) failure).problem().status()).end()));
    server = TestGateway.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.await(server.close());
    gw.close();
  }

  private static String url(Purchases.Purchase purchase) {
    return "http://127.0.0.1:" + server.actualPort() + "/streams/" + purchase.orderId();
  }

  @Test
  void aChangeAnnouncedByNobodyArrivesAtTheNextHeartbeat() throws Exception {
    Purchases.Purchase purchase = purchases.readyOrder(shop, 1);
    Vertx elsewhere = Vertx.vertx();
    try (EventStream stream = EventStream.open(url(purchase))) {
      assertThat(stream.next(Duration.ofSeconds(10)).getString("state")).isEqualTo("ready");
      // Another gateway instance: its own OrderChanges, so its change notice never reaches this one's streams.
      OrderStore other = new OrderStore(elsewhere, gw.gateway().pool(), gw.gateway().config().clock(),
          new OrderChanges());
      assertThat(TestGateway.await(other.apply(purchase.orderId(), new OrderEvent.Reveal())).isAccepted()).isTrue();
      // The view may go out again at the same version (its timeline or refunds grew, which the heartbeat
      // also notices); what this pins is that the other instance's change arrives within the heartbeats.
      long giveUp = System.nanoTime() + Duration.ofMillis(HEARTBEAT_MS * 20).toNanos();
      JsonObject change = stream.next(Duration.ofMillis(HEARTBEAT_MS * 20));
      while (change != null && "ready".equals(change.getString("state")) && System.nanoTime() < giveUp) {
        change = stream.next(Duration.ofNanos(Math.max(1, giveUp - System.nanoTime())));
      }
      assertThat(change).as("the change, seen by the heartbeat").isNotNull();
      assertThat(change.getString("state")).isEqualTo("inspection");
    } finally {
      TestGateway.await(elsewhere.close());
    }
  }

  @Test
  void theLimitOverAllOrdersHolds() throws Exception {
    List<EventStream> open = new ArrayList<>();
    try {
      Purchases.Purchase first = purchases.checkout(shop, 1);
      Purchases.Purchase second = purchases.checkout(shop, 1);
      Purchases.Purchase third = purchases.checkout(shop, 1);
      open.add(EventStream.open(url(first)));
      open.add(EventStream.open(url(first)));
      try (EventStream refused = EventStream.open(url(first))) {
        assertThat(refused.status()).as("a third stream of one order").isEqualTo(429);
      }
      open.add(EventStream.open(url(second)));
      try (EventStream refused = EventStream.open(url(third))) {
        assertThat(refused.status()).as("a fourth stream in all").isEqualTo(429);
      }
      assertThat(open).allSatisfy(stream -> assertThat(stream.status()).isEqualTo(200));
      assertThat(streams.openStreams()).isEqualTo(3);
    } finally {
      open.forEach(EventStream::close);
    }
    long giveUp = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (streams.openStreams() > 0 && System.nanoTime() < giveUp) {
      Purchases.sleep(20);
    }
    assertThat(streams.openStreams()).isZero();
  }
}
