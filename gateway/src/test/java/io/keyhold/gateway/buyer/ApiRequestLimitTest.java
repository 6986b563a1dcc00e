package io.keyhold.gateway.buyer;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cap on API requests served at once leaves out the long-lived event streams: with room for a
 * single API request (a pool wait queue of 4), buyers watching their orders live still leave that room
 * to the next request.
 */
class ApiRequestLimitTest {
  private static TestGateway gw;
  private static Purchases purchases;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(config -> config.poolWaitQueueMax(4));
    purchases = new Purchases(gw);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void openEventStreamsTakeNoPlaceAmongTheApiRequests() throws Exception {
    Purchases.Shop shop = purchases.stockShop(2, null);
    Purchases.Purchase purchase = purchases.readyOrder(shop, 1);
    String url = gw.baseUrl() + purchase.path("/events") + "?t=" + purchase.token();
    List<EventStream> open = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        EventStream stream = EventStream.open(url);
        open.add(stream);
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.next(Duration.ofSeconds(10))).as("the stream is live").isNotNull();
      }

      TestGateway.Response view = purchases.get(purchase);

      assertThat(view.status()).as(view.toString()).isEqualTo(200);
      assertThat(gw.get("/metrics", null).body()).contains("keyhold_api_requests_in_flight");
    } finally {
      open.forEach(EventStream::close);
    }
  }
}
