package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.Effect;
import io.keyhold.escrow.EffectKind;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.escrow.Transition;
import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.StoredOrder;
import io.keyhold.gateway.testing.TestGateway;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** When an order's stock reservation is given back, and when there is nothing left to give. */
class ReservationReleaseTest {
  static TestGateway gw;
  static Purchases purchases;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    purchases = new Purchases(gw);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  private static StoredOrder stored(Purchases.Purchase purchase) {
    return TestGateway.await(gw.gateway().orders().load(purchase.orderId()));
  }

  private static long keys(Purchases.Shop shop, String state) {
    return gw.query("SELECT count(*) FROM stock_keys WHERE sku_id = $1 AND state = $2", shop.skuId(), state).get(0)
        .getLong(0);
  }

  @Test
  void aReservationEveryUnitTookItsFirstKeyFromHasNothingLeftToGiveBack() {
    Purchases.Shop shop = purchases.stockShop(3, null);
    Purchases.Purchase ready = purchases.readyOrder(shop, 2);
    Purchases.Purchase unpaid = purchases.checkout(shop, 1);

    assertThat(stored(ready).reservationUsedUpByStock()).isTrue();
    assertThat(stored(unpaid).reservationUsedUpByStock()).as("no key delivered yet").isFalse();

    purchases.act(ready, "reveal");
    purchases.act(ready, "confirm");
    purchases.awaitState(ready, "released");
    // Released without a release of its reservation: its two keys are sold, the unpaid order's one still held.
    assertThat(keys(shop, "delivered")).isEqualTo(2);
    assertThat(keys(shop, "reserved")).isEqualTo(1);
    assertThat(keys(shop, "available")).isZero();
    assertThat(releasesQueued(ready)).as("a release that would find nothing is not queued").isZero();
  }

  @Test
  void onlyAReleaseWithSomethingToGiveBackIsQueued() {
    Purchases.Shop shop = purchases.stockShop(2, null);
    StoredOrder unpaid = stored(purchases.checkout(shop, 1));
    StoredOrder ready = stored(purchases.readyOrder(shop, 1));

    Transition expiry = (Transition) unpaid.order().on(new OrderEvent.DeadlineReached(Money.of(0,
        unpaid.order().unitPrice().currency().getCurrencyCode())), unpaid.order().payBy().plusSeconds(1));
    assertThat(kinds(OrderStore.withoutNeedlessEffects(unpaid.with(expiry.order()), expiry)))
        .as("an expired order's key is still reserved").contains(EffectKind.RELEASE_RESERVATION);
    Transition cancelled = (Transition) ready.order().on(new OrderEvent.Cancel(), Instant.now());
    assertThat(kinds(cancelled)).contains(EffectKind.RELEASE_RESERVATION, EffectKind.RETURN_KEYS_TO_SHOP);
    assertThat(kinds(OrderStore.withoutNeedlessEffects(ready.with(cancelled.order()), cancelled)))
        .as("its key goes back by its own effect; the reservation holds nothing more")
        .containsExactlyInAnyOrderElementsOf(kinds(cancelled).stream()
            .filter(kind -> kind != EffectKind.RELEASE_RESERVATION).toList());
  }

  private static List<EffectKind> kinds(Transition change) {
    return change.effects().stream().map(Effect::kind).toList();
  }

  private static long releasesQueued(Purchases.Purchase purchase) {
    return gw.query("SELECT count(*) FROM outbox WHERE order_id = $1 AND kind = 'release_reservation'",
        purchase.orderId()).get(0).getLong(0);
  }

  @Test
  void aCancelledOrderGivesItsKeysBackToStock() throws InterruptedException {
    Purchases.Shop shop = purchases.stockShop(2, null);
    Purchases.Purchase ready = purchases.readyOrder(shop, 2);

    assertThat(purchases.act(ready, "cancel").json().getString("state")).isEqualTo("refunded");

    long giveUp = System.nanoTime() + Purchases.STATE_TIMEOUT.toNanos();
    while (keys(shop, "available") < 2 && System.nanoTime() < giveUp) {
      Thread.sleep(Purchases.POLL_MS);
    }
    assertThat(keys(shop, "available")).as("both keys back, unseen").isEqualTo(2);
    assertThat(keys(shop, "reserved")).isZero();
  }
}
