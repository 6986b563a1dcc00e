package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.escrow.KeyVerdict;
import io.keyhold.gateway.store.Sku;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * URLs a merchant chooses (webhook URL, the http adapter's base URL, an issuer check's URL) are
 * hostile: only {@code https} towards public addresses is accepted, unless the operator's allow-list
 * (here: {@code 127.0.0.1}, as every test gateway has) names the host. Refused when given (400
 * {@code url_not_allowed} naming the field) and again when connecting, so a stored URL whose name now
 * resolves elsewhere, or that an older rule let in, never receives a card key or a webhook.
 */
class OutboundUrlTest {
  static final String SECRET = "outbound-test-signing-secret-0123456";
  static Flows flows;
  static Flows.Merchant issuerShop;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
    issuerShop = flows.stockMerchant("Outbound issuer shop");
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  static final List<String> REFUSED = List.of(
      "http://1.1.1.1/keyhold",                       // plain http to a host not on the allow-list
      "https://10.0.0.1/keyhold",                     // private
      "https://172.16.5.4/keyhold",                   // private
      "https://192.168.1.1/keyhold",                  // private
      "https://127.0.0.2/keyhold",                    // loopback, not the allow-listed 127.0.0.1
      "https://169.254.169.254/latest/meta-data",     // link-local: cloud metadata
      "https://100.100.100.200/keyhold",              // carrier-grade NAT (a cloud's metadata too)
      "https://0.0.0.0/keyhold",                      // this host
      "https://224.0.0.1/keyhold",                    // multicast
      "https://[::1]/keyhold",                        // IPv6 loopback
      "https://[fd00:ec2::254]/keyhold",              // IPv6 unique local: cloud metadata
      "https://[fe80::1]/keyhold",                    // IPv6 link-local
      "https://[::ffff:127.0.0.1]/keyhold",           // loopback written as IPv4-mapped IPv6
      "https://localhost/keyhold",                    // a name resolving to loopback
      "https://no-such-host.invalid/keyhold");        // a name resolving to nothing

  static Stream<Arguments> refusedUrls() {
    List<Arguments> cases = new ArrayList<>();
    for (String url : REFUSED) {
      cases.add(Arguments.of("webhook_url", url));
      cases.add(Arguments.of("adapter base_url", url));
      cases.add(Arguments.of("validator url", url));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("refusedUrls")
  void refusesAUrlThatIsNotHttpsToAPublicAddressNamingTheField(String where, String url) {
    Map<String, Long> before = flows.gw.rowCounts();

    TestGateway.Response response = create(where, url);

    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.problemCode()).isEqualTo("validation_failed");
    assertThat(response.json().getJsonArray("errors").stream().map(JsonObject.class::cast)
        .map(e -> e.getString("field") + " " + e.getString("code")))
        .as(response.body()).contains(FIELDS.get(where) + " url_not_allowed");
    assertThat(flows.gw.rowCounts()).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("places")
  void acceptsHttpsToAPublicAddress(String where) {
    TestGateway.Response response = create(where, "https://1.1.1.1/keyhold");

    assertThat(response.status()).as(response.toString()).isEqualTo(201);
  }

  static Stream<String> places() {
    return FIELDS.keySet().stream();
  }

  static final Map<String, String> FIELDS = Map.of(
      "webhook_url", "/webhook_url",
      "adapter base_url", "/adapter/config/base_url",
      "validator url", "/validators/0/url");

  private TestGateway.Response create(String where, String url) {
    JsonObject merchant = new JsonObject().put("name", "Outbound shop").put("fee_basis_points", 100);
    switch (where) {
      case "webhook_url" -> merchant.put("webhook_url", url);
      case "adapter base_url" -> merchant.put("adapter", new JsonObject().put("type", "http")
          .put("config", new JsonObject().put("base_url", url).put("signing_secret", SECRET)));
      case "validator url" -> {
        return flows.gw.post("/v1/skus", issuerShop.apiKey(), new JsonObject().put("name", "Card").put("price", 100)
            .put("currency", "CNY").put("validators", new JsonArray().add(new JsonObject().put("type", "http")
                .put("url", url).put("signing_secret", SECRET))).encode());
      }
      default -> throw new IllegalArgumentException(where);
    }
    return flows.gw.post("/admin/v1/merchants", flows.gw.adminToken(), merchant.encode());
  }

  @Test
  void neverConnectsAnIssuerCheckToAnAddressTheRulesRefuseAtConnectTime() {
    Listener issuer = Listener.start(flows);
    try {
      Flows.Merchant shop = flows.stockMerchant("Rebound issuer shop");
      String skuId = flows.sku(shop, Flows.shortPolicy(), new JsonArray().add(new JsonObject().put("type", "http")
          .put("url", "http://127.0.0.1:" + issuer.port()).put("signing_secret", SECRET)));
      // As a URL stored under older rules, or a name whose address changed since, would be: "localhost" is
      // not on the allow-list and resolves to loopback.
      flows.gw.query("UPDATE skus SET validators = jsonb_set(validators, '{0,url}', to_jsonb($1::text)) WHERE id = $2",
          "https://localhost:" + issuer.port(), skuId);
      Sku sku = TestGateway.await(flows.gw.gateway().catalog().find(flows.gw.gateway().pool(), shop.id(), skuId));

      List<KeyValidator> validators = TestGateway.await(flows.gw.gateway().engine().adapters().validatorsOf(sku));
      KeyVerdict verdict = TestGateway.await(validators.get(0).check(skuId, CardKey.of("4539148803436467")));

      assertThat(verdict).isEqualTo(KeyVerdict.UNKNOWN);
      assertThat(issuer.connections()).as("connections the issuer URL received").isZero();
    } finally {
      issuer.close();
    }
  }

  @Test
  void neverConnectsAWebhookToAnAddressTheRulesRefuseAtConnectTime() {
    Listener receiver = Listener.start(flows);
    try {
      Flows.Merchant shop = flows.merchant("Rebound webhook shop", null,
          "http://127.0.0.1:" + receiver.port() + "/hooks");
      flows.gw.query("UPDATE merchants SET webhook_url = $1 WHERE id = $2",
          "https://localhost:" + receiver.port() + "/hooks", shop.id());
      String sku = flows.sku(shop, Flows.shortPolicy(), null);
      flows.upload(shop, sku, List.of("HOOK-" + UUID.randomUUID()));
      Flows.Session session = flows.checkout(shop, sku, 1);
      flows.pay(session, 1);
      flows.awaitState(shop, session.orderId(), "ready");

      flows.awaitTrue("a webhook was attempted", "SELECT count(*) > 0 FROM outbox WHERE order_id = $1"
          + " AND kind = 'notify' AND attempts > 0", session.orderId());

      assertThat(receiver.connections()).as("connections the webhook URL received").isZero();
    } finally {
      receiver.close();
    }
  }

  /** A TCP listener on 127.0.0.1 that only counts the connections made to it. */
  record Listener(NetServer server, AtomicInteger counter) {
    static Listener start(Flows flows) {
      AtomicInteger counter = new AtomicInteger();
      NetServer server = TestGateway.await(flows.gw.gateway().vertx().createNetServer()
          .connectHandler(socket -> {
            counter.incrementAndGet();
            socket.close();
          })
          .listen(0, "127.0.0.1"));
      return new Listener(server, counter);
    }

    int port() {
      return server.actualPort();
    }

    int connections() {
      return counter.get();
    }

    void close() {
      TestGateway.await(server.close());
    }
  }
}
