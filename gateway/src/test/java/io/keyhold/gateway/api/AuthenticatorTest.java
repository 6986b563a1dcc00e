package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Merchant API keys over real HTTP: a key trusted from memory is still refused soon after it is revoked. */
class AuthenticatorTest {
  static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void refusesAKeyRevokedInTheDatabaseWithinItsReuseTime() throws Exception {
    TestGateway.Merchant merchant = gw.createMerchant("Revoked Shop");
    assertThat(gw.get("/v1/orders", merchant.apiKey()).status()).as("the key works, and is now kept").isEqualTo(200);
    assertThat(gw.get("/v1/orders", "khk_" + "x".repeat(40)).status()).as("an unknown key").isEqualTo(401);

    gw.query("UPDATE api_keys SET revoked_at = now() WHERE merchant_id = $1", merchant.id());
    long revokedAt = System.nanoTime();
    int status = 200;
    long giveUp = revokedAt + Authenticator.API_KEY_REUSE_MAX.plusSeconds(5).toNanos();
    while (status == 200 && System.nanoTime() < giveUp) {
      Thread.sleep(100);
      status = gw.get("/v1/orders", merchant.apiKey()).status();
    }
    long tookMs = (System.nanoTime() - revokedAt) / 1_000_000;

    assertThat(status).as("the revoked key").isEqualTo(401);
    // The kept key may outlive the revocation by at most the reuse time (plus the polling step).
    assertThat(tookMs).isLessThanOrEqualTo(Authenticator.API_KEY_REUSE_MAX.toMillis() + 1_000);
  }
}
