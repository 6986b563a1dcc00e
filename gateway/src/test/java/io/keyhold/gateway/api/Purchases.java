package io.keyhold.gateway.api;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Buys through the real HTTP flows, as a shop and a buyer would: a merchant with consignment stock, a
 * checkout session, a sandbox payment confirmed by the buyer, then the order watched through the buyer
 * API. Shared by the buyer, evidence, audit and dispute tests.
 */
public final class Purchases {
  /** Long enough for the outbox, the stock adapter and the validators to bring an order to "ready". */
  public static final Duration STATE_TIMEOUT = Duration.ofSeconds(30);
  public static final long POLL_MS = 50;

  private final TestGateway gw;

  public Purchases(TestGateway gw) {
    this.gw = gw;
  }

  /** A merchant selling one SKU from stock, and the keys it uploaded. */
  public record Shop(TestGateway.Merchant merchant, String skuId, List<String> keys) {}

  /** A placed order and the buyer's secrets for it. */
  public record Purchase(Shop shop, String sessionId, String orderId, String token) {
    /** {@code /v1/buyer/orders/<id>} plus {@code suffix}. */
    public String path(String suffix) {
      return TestGateway.buyerOrderPath(orderId, suffix);
    }
  }

  /** A shop with {@code keys} fresh keys in stock, priced 1000 CNY minor units, with {@code policy} (may be empty). */
  public Shop stockShop(int keys, JsonObject policy) {
    TestGateway.Merchant merchant = gw.createMerchant("Shop " + UUID.randomUUID().toString().substring(0, 8));
    JsonObject sku = new JsonObject().put("name", "Game card 100").put("price", 1000).put("currency", "CNY");
    if (policy != null && !policy.isEmpty()) {
      sku.put("policy", policy);
    }
    String skuId = gw.createSku(merchant, sku);
    List<String> codes = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      codes.add("CARD-" + UUID.randomUUID());
    }
    TestGateway.Response uploaded = gw.uploadKeys(merchant, skuId, codes);
    if (uploaded.status() != 201) {
      throw new IllegalStateException("uploading keys answered " + uploaded);
    }
    return new Shop(merchant, skuId, List.copyOf(codes));
  }

  /** A checkout session for {@code quantity} units; the order awaits payment. */
  public Purchase checkout(Shop shop, int quantity) {
    TestGateway.Session session = gw.checkout(shop.merchant().apiKey(), shop.skuId(), quantity);
    return new Purchase(shop, session.id(), session.orderId(), session.token());
  }

  /** Pays the order in full through the sandbox provider, as the buyer's pay page would. */
  public void pay(Purchase purchase) {
    JsonObject order = get(purchase).json();
    gw.confirmSandboxPayment(gw.startSandboxPayment(purchase.orderId(), purchase.token(),
        order.getJsonObject("total")));
  }

  /** Checkout, payment, and the wait until the keys are checked and sealed. */
  public Purchase readyOrder(Shop shop, int quantity) {
    Purchase purchase = checkout(shop, quantity);
    pay(purchase);
    awaitState(purchase, "ready");
    return purchase;
  }

  /** The buyer's view of the order (with the token). */
  public TestGateway.Response get(Purchase purchase) {
    return gw.get(purchase.path(""), purchase.token());
  }

  /** A buyer POST with an empty JSON body. */
  public TestGateway.Response act(Purchase purchase, String action) {
    return gw.post(purchase.path("/" + action), purchase.token(), "{}");
  }

  /** Waits until the order is in {@code state}; fails with the last view after {@link #STATE_TIMEOUT}. */
  public JsonObject awaitState(Purchase purchase, String state) {
    return await(purchase, view -> state.equals(view.getString("state")), "state " + state);
  }

  /** Waits until the buyer's view satisfies {@code condition}. */
  public JsonObject await(Purchase purchase, Predicate<JsonObject> condition, String what) {
    long deadline = System.nanoTime() + STATE_TIMEOUT.toNanos();
    JsonObject last = null;
    while (System.nanoTime() < deadline) {
      TestGateway.Response response = get(purchase);
      if (response.status() == 200) {
        last = response.json();
        if (condition.test(last)) {
          return last;
        }
      }
      sleep(POLL_MS);
    }
    throw new AssertionError("order " + purchase.orderId() + " did not reach " + what + " within " + STATE_TIMEOUT
        + "; last view: " + (last == null ? null : last.copy().put("units", redactKeys(last.getJsonArray("units")))));
  }

  private static JsonArray redactKeys(JsonArray units) {
    JsonArray copy = units.copy();
    copy.forEach(unit -> ((JsonObject) unit).put("key", ((JsonObject) unit).getValue("key") == null ? null : "<key>"));
    return copy;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
