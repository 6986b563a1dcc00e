package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The buyer's views over a real database: what views of one order version share, and what a new version reads. */
class BuyerOrdersTest {
  static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(config -> config.engine(EngineConfig.builder().workers(false).build()));
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void viewsOfOneOrderVersionShareOneReadAndANewVersionReadsAfresh() {
    TestGateway.Merchant shop = gw.createMerchant("Shared view shop");
    String skuId = gw.createSku(shop);
    assertThat(gw.uploadKeys(shop, skuId, List.of("VIEW-" + UUID.randomUUID())).status()).isEqualTo(201);
    String orderId = gw.checkout(shop.apiKey(), skuId, 1).orderId();
    BuyerOrders buyers = gw.gateway().buyerSide().buyers();
    Order placed = TestGateway.await(gw.gateway().orders().load(orderId)).order();

    // Asked at once, as an act's answer and the live pages' push of its change are.
    List<JsonObject> atOnce = TestGateway.await(Future.all(buyers.view(placed, false), buyers.view(placed, false))
        .map(both -> List.of(both.<JsonObject>resultAt(0), both.<JsonObject>resultAt(1))));
    gw.query("UPDATE merchants SET name = 'Renamed shop' WHERE id = $1", shop.id());
    JsonObject sameVersion = TestGateway.await(buyers.view(placed, false));
    Transition funded = (Transition) TestGateway.await(gw.gateway().orders().apply(orderId,
        new OrderEvent.PaymentReceived("sandbox:pay-view", Money.of(placed.unitPrice().minorUnits(), "CNY"), false)));
    JsonObject nextVersion = TestGateway.await(buyers.view(funded.order(), false));

    assertThat(atOnce).extracting(view -> view.getJsonObject("merchant").getString("name"))
        .containsOnly("Shared view shop");
    assertThat(sameVersion.getJsonObject("merchant").getString("name")).as("the version's read, shared")
        .isEqualTo("Shared view shop");
    assertThat(nextVersion.getJsonObject("merchant").getString("name")).isEqualTo("Renamed shop");
    assertThat(nextVersion.getString("state")).isEqualTo("funded");
  }
}
