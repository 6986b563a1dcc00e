package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.Faults;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A deadline judges the party it belongs to, never the gateway's own lateness: while the gateway still owes
 * an order work (a key check under way or queued, a delivery request not yet sent, a payment the provider
 * announced and not yet applied), the order's deadline waits. Real gateway, real PostgreSQL, a reference
 * shop over HTTP, and a clock the test moves over the deadline while that work is under way.
 */
class OwedWorkTest {
  /** The shop's (and its issuer's) answer time: long enough for the test to move the clock meanwhile. */
  static final int SLOW_ANSWER_MS = 3_000;

  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start(engine -> { }, config -> { });
  }

  @AfterAll
  static void auditAndStop() throws Exception {
    try {
      JsonObject audit = flows.gw.get("/admin/v1/audit", flows.gw.adminToken()).json();
      assertThat(audit.getBoolean("ok")).as(audit.encodePrettily()).isTrue();
    } finally {
      flows.close();
    }
  }

  @Test
  void waitsForAKeyCheckUnderWayBeforeTheValidationDeadlineJudgesTheShop() {
    Flows.HttpShop shop = flows.httpShop("Slow issuer", 5, Flows.shortPolicy(),
        url -> new JsonArray().add(Flows.issuerCheck(url).put("timeout_ms", 4 * SLOW_ANSWER_MS)));
    shop.shop().faults(Faults.fromJson(new JsonObject().put("scope", "issuer").put("latency_ms", SLOW_ANSWER_MS)));
    Flows.Session session = flows.checkout(shop.merchant(), shop.skuId(), 1);
    flows.pay(session, 1);
    flows.awaitState(shop.merchant(), session.orderId(), "validating");
    flows.awaitTrue("the key check is queued or under way",
        "SELECT count(*) = 1 FROM outbox WHERE order_id = $1 AND kind = 'validate_unit' AND state = 'pending'",
        session.orderId());

    // The validation deadline (10 s) passes while the issuer is still answering, within its own time limit.
    flows.advance(Duration.ofSeconds(11));
    JsonObject ready = flows.awaitState(shop.merchant(), session.orderId(), "ready", "refunded", "resupplying");

    assertThat(ready.getString("state")).isEqualTo("ready");
    assertThat(flows.evidenceTypes(session.orderId())).doesNotContain("unit.validation_timed_out");
  }

  @Test
  void waitsForAPaymentTheProviderAnnouncedBeforeExpiringTheOrder() throws Exception {
    // Its own gateway: the sandbox provider holds its notices back (an hour of the gateway's clock) until the test
    // lets them go, as a provider's notice may be on its way while the deadline passes.
    Flows held = Flows.start(engine -> engine.sandboxNoticeDelayMs(EngineConfig.INTERVAL_MS_MAX), config -> { });
    try {
      Flows.Merchant shop = held.stockMerchant("Paid at the last second");
      String sku = held.sku(shop, Flows.shortPolicy(), null);
      held.upload(shop, sku, List.of("KEY-" + System.nanoTime()));
      Flows.Session session = held.checkout(shop, sku, 1);
      held.confirmPayment(held.startPayment(session, Flows.PRICE));

      held.advance(Duration.ofSeconds(61));
      Flows.pause(1_000);
      assertThat(held.order(shop, session.orderId()).getString("state")).as("past pay_by, the notice still on its way")
          .isEqualTo("awaiting_payment");
      held.gw.query("UPDATE outbox SET next_attempt_at = $2 WHERE order_id = $1 AND kind = 'sandbox_notice'",
          session.orderId(), held.clock.instant().atOffset(ZoneOffset.UTC));
      JsonObject after = held.awaitState(shop, session.orderId(), "funded", "validating", "ready", "expired");

      assertThat(after.getString("state")).isNotEqualTo("expired");
      assertThat(held.evidenceTypes(session.orderId())).doesNotContain("order.expired");
    } finally {
      held.close();
    }
  }
}
