package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The issuer check ({@code http} key validator) set up through the API alone: its URL and signing
 * secret given on the SKU, the issuer being the reference merchant's fake issuer over real HTTP. The
 * SKU has no other validator, so an order reaches {@code ready} only when the issuer said VALID.
 */
class IssuerCheckTest {
  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  @Test
  void issuerChecksTheKeysValidAndTheOrderBecomesReady() {
    Flows.HttpShop shop = flows.httpShop("Issuer-checked shop", 5, Flows.shortPolicy(), Flows::issuerOnly);
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 2);
    flows.pay(session, 2);

    JsonObject ready = flows.awaitState(shop.merchant(), session.orderId(), "ready");

    assertThat(ready.getJsonArray("units")).extracting(u -> ((JsonObject) u).getString("state"))
        .containsExactly("valid", "valid");
    JsonObject stats = TestGateway.await(shop.shop().stats());
    assertThat(stats.getLong("rejected_signatures")).as("the issuer verified every signed check").isZero();
  }

  @Test
  void theSecondSecretKeepsChecksWorkingWhileTheIssuerRotates() {
    // Keyhold already holds the issuer's next secret as signing_secret; the issuer still knows only the
    // old one, given as signing_secret_next: both sign every check, either verifies the answer.
    Flows.HttpShop shop = flows.httpShop("Rotating issuer shop", 5, Flows.shortPolicy(), url -> new JsonArray()
        .add(Flows.issuerCheck(url).put("signing_secret", "the-issuers-next-secret-0123456789")
            .put("signing_secret_next", Flows.ISSUER_SECRET).put("timeout_ms", 1500)));
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 1);
    flows.pay(session, 1);

    JsonObject ready = flows.awaitState(shop.merchant(), session.orderId(), "ready");

    assertThat(ready.getJsonArray("units")).extracting(u -> ((JsonObject) u).getString("state"))
        .containsExactly("valid");
  }
}
