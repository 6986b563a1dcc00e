package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An event stream outlives the request timeout (here cut to a fraction of a second), while ordinary
 * requests keep it: streams are exempt on purpose, nothing else is.
 */
class LongLivedStreamTest {
  static final long REQUEST_TIMEOUT_MS = 300;
  static TestGateway gw;
  static Purchases purchases;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(config -> config.requestTimeoutMs(REQUEST_TIMEOUT_MS));
    purchases = new Purchases(gw);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void aStreamStaysOpenPastTheRequestTimeoutAndStillDeliversChanges() throws Exception {
    Purchases.Purchase purchase = purchases.readyOrder(purchases.stockShop(2, null), 1);
    try (EventStream stream = EventStream.open(gw.baseUrl() + purchase.path("/events") + "?t=" + purchase.token())) {
      assertThat(stream.next(Duration.ofSeconds(10))).isNotNull();
      Purchases.sleep(REQUEST_TIMEOUT_MS * 4);
      TestGateway.Response revealed = gw.post(purchase.path("/reveal"), purchase.token(), "{}",
          "Idempotency-Key", "reveal-once");
      assertThat(revealed.status()).isEqualTo(200);
      JsonObject change = stream.next(Duration.ofSeconds(10));
      assertThat(change).as("an event after the request timeout passed").isNotNull();
      assertThat(change.getString("state")).isEqualTo("inspection");
    }
  }

  @Test
  void aBuyerRetryWithTheSameIdempotencyKeyGetsTheFirstAnswer() {
    Purchases.Purchase purchase = purchases.readyOrder(purchases.stockShop(2, null), 1);
    TestGateway.Response first = gw.post(purchase.path("/reveal"), purchase.token(), "{}", "Idempotency-Key", "k-1");
    TestGateway.Response again = gw.post(purchase.path("/reveal"), purchase.token(), "{}", "Idempotency-Key", "k-1");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.headers()).containsEntry("idempotent-replayed", "true");
    assertThat(again.json().getLong("version")).isEqualTo(first.json().getLong("version"));
    TestGateway.Response other = gw.post(purchase.path("/confirm"), purchase.token(), "{}", "Idempotency-Key", "k-1");
    assertThat(other.problemCode()).isEqualTo("idempotency_key_reused");
  }
}
