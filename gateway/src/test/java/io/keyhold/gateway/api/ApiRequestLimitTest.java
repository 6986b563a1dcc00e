package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cap on API requests served at once, with room for a single API request (a pool wait queue of 4):
 * a request past it is refused at once; long-lived event streams and payment notices take no place.
 */
class ApiRequestLimitTest {
  private static TestGateway gw;
  private static Purchases purchases;

  @BeforeAll
  static void start() throws Exception {
    // One API place; a short request timeout keeps the waiting room's wait (half of it) short too.
    gw = TestGateway.start(config -> config.poolWaitQueueMax(4).requestTimeoutMs(4_000));
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
      assertThat(gw.get("/metrics", gw.adminToken()).body()).contains("keyhold_api_requests_in_flight")
          .contains("keyhold_api_checkouts_in_line");
    } finally {
      open.forEach(EventStream::close);
    }
  }

  @Test
  void refusesRequestsPastTheCapButNeverAPaymentNotice() throws Exception {
    try (Socket slow = holdTheOnlyPlace()) {

      // It waits its turn in the waiting room first, then is sent away with a Retry-After.
      TestGateway.Response refused = gw.get("/v1/evidence-key", null);
      TestGateway.Response notice = gw.post("/v1/payments/sandbox/notify", null, "{}");

      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.problemCode()).isEqualTo("overloaded");
      assertThat(refused.headers()).containsKey("retry-after");
      assertThat(notice.status()).as("a notice is judged, never refused for load: %s", notice).isNotEqualTo(503);
      assertThat(notice.problemCode()).isNotEqualTo("overloaded");
    }
    awaitApiRequestsInFlight(0);
    assertThat(gw.get("/v1/evidence-key", null).status()).isEqualTo(200);
  }

  @Test
  void answersACheckoutPastTheCapWithItsPlaceInLineAndServesItsTicketOnceThePlaceIsFree() throws Exception {
    Purchases.Shop shop = purchases.stockShop(1, null);
    String body = new JsonObject().put("sku_id", shop.skuId()).put("quantity", 1).put("buyer_ref", "in-line").encode();
    String key = "checkout-in-line";
    String ticket;
    try (Socket slow = holdTheOnlyPlace()) {
      long sent = System.nanoTime();

      TestGateway.Response told = gw.post("/v1/checkout-sessions", shop.merchant().apiKey(), body,
          "Idempotency-Key", key);

      assertThat((System.nanoTime() - sent) / 1_000_000).as("answered at once, not held for the request timeout")
          .isLessThan(1_000);
      assertThat(told.status()).as(told.toString()).isEqualTo(503);
      assertThat(told.problemCode()).isEqualTo("overloaded");
      assertThat(told.json().getInteger("place")).isEqualTo(1);
      ticket = told.headers().get("keyhold-ticket");
      assertThat(ticket).isNotBlank().isEqualTo(told.json().getString("ticket"));
      assertThat(told.headers()).containsKey("retry-after");
    }
    awaitApiRequestsInFlight(0);

    TestGateway.Response served = gw.post("/v1/checkout-sessions", shop.merchant().apiKey(), body,
        "Idempotency-Key", key, "Keyhold-Ticket", ticket);

    assertThat(served.status()).as(served.toString()).isEqualTo(201);
    // The gateway's own time to both answers, apart from any queue on the shop's side.
    List<String> answerTimes = gw.get("/metrics", gw.adminToken()).body().lines()
        .filter(line -> line.startsWith("keyhold_api_answer_seconds{")
            && line.contains("operation=\"createCheckoutSession\"") && line.contains("quantile=\"0.99\""))
        .toList();
    assertThat(answerTimes).anyMatch(line -> line.contains("status=\"5xx\""))
        .anyMatch(line -> line.contains("status=\"2xx\""));
  }

  /** Holds the only place: a request whose body never comes, until the socket is closed. */
  private static Socket holdTheOnlyPlace() throws Exception {
    URI base = URI.create(gw.baseUrl());
    Socket slow = new Socket(base.getHost(), base.getPort());
    OutputStream out = slow.getOutputStream();
    out.write(("POST /v1/skus HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    awaitApiRequestsInFlight(1);
    return slow;
  }

  private static void awaitApiRequestsInFlight(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    double seen = -1;
    while (System.nanoTime() < deadline) {
      seen = gw.get("/metrics", gw.adminToken()).body().lines()
          .filter(line -> line.startsWith("keyhold_api_requests_in_flight"))
          .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
      if (seen == expected) {
        return;
      }
      Thread.sleep(20);
    }
    assertThat(seen).as("API requests in flight").isEqualTo(expected);
  }
}
