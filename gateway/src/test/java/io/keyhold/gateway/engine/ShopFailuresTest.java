package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.Faults;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a shop calling checkout is told when its own shop's answer is the problem: what happened, not a guess. */
class ShopFailuresTest {
  private static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  @Test
  void aShopAnswerWithABadSignatureIsReportedAsABadSignatureNotAsATimeout() {
    Flows.HttpShop shop = flows.httpShop("Wrong secret shop", 5, Flows.shortPolicy(), null);
    shop.shop().faults(Faults.fromJson(new JsonObject()
        .put("scope", "merchant").put("signature_fault", "forged").put("signature_fault_rate", 1.0)));

    TestGateway.Response checkout = flows.tryCheckout(shop.merchant(), shop.skuId(), 1);

    assertThat(checkout.status()).as(checkout.toString()).isEqualTo(502);
    assertThat(checkout.problemCode()).isEqualTo("merchant_bad_signature");
    assertThat(checkout.json().getString("detail")).contains("signature").doesNotContain("in time");
  }

  @Test
  void aShopFailingOtherwiseIsUnavailableWithWhatHappened() {
    Flows.HttpShop shop = flows.httpShop("Failing shop", 5, Flows.shortPolicy(), null);
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "merchant").put("error_rate", 1.0)));

    TestGateway.Response checkout = flows.tryCheckout(shop.merchant(), shop.skuId(), 1);

    assertThat(checkout.status()).as(checkout.toString()).isEqualTo(503);
    assertThat(checkout.problemCode()).isEqualTo("merchant_unavailable");
    assertThat(checkout.json().getString("detail")).isEqualTo("The merchant's shop answered with a server error");
  }
}
