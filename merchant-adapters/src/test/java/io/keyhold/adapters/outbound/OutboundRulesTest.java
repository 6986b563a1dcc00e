package io.keyhold.adapters.outbound;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterRegistry;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules for URLs a merchant chose: https to public addresses, or an allow-listed host; checked on
 * the address actually connected to. Names are resolved by a stand-in resolver where a test needs a
 * name to point somewhere a real DNS would have to be hostile for (there is no other way to make
 * {@code shop.test} resolve to 127.0.0.1 on demand).
 */
class OutboundRulesTest {

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "10.1.2.3", "100.64.0.1", "100.100.100.200", "127.0.0.1", "127.8.9.10",
      "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.0.1", "198.18.0.1",
      "198.51.100.1", "203.0.113.1", "224.0.0.1", "239.255.255.250", "255.255.255.255", "::", "::1",
      "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2001:db8::1", "2002:7f00:1::1", "fc00::1",
      "fd00:ec2::254", "fe80::1", "fec0::1", "ff02::1"})
  void refusesEveryAddressThatIsNotPublic(String address) throws UnknownHostException {
    assertThat(OutboundRules.isPublic(InetAddress.getByName(address))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.1", "172.32.0.1", "192.169.0.1",
      "2606:4700:4700::1111", "2a00:1450:4001::200e"})
  void acceptsPublicAddresses(String address) throws UnknownHostException {
    assertThat(OutboundRules.isPublic(InetAddress.getByName(address))).isTrue();
  }

  @Test
  void refusesPlainHttpUnlessTheHostIsAllowListed() {
    OutboundRules rules = OutboundRules.allowing(Set.of("127.0.0.1"));

    assertThat(rules.refusal(URI.create("http://1.1.1.1/keyhold"))).get().asString().contains("must use https");
    assertThat(rules.refusal(URI.create("http://localhost:9100"))).get().asString().contains("must use https");
    assertThat(rules.refusal(URI.create("http://127.0.0.1:9100"))).isEmpty();
    assertThat(rules.refusal(URI.create("https://1.1.1.1/keyhold"))).isEmpty();
  }

  @Test
  void theAllowListOpensOnlyTheHostAsWritten() {
    OutboundRules rules = OutboundRules.allowing(Set.of("127.0.0.1")).withResolver(fixed(Map.of(
        "localhost", "127.0.0.1")));

    assertThat(result(rules.destination(vertx, URI.create("http://127.0.0.1:9100"))).getPort()).isEqualTo(9100);
    assertThat(failure(rules.destination(vertx, URI.create("https://localhost:9100"))))
        .isInstanceOf(UrlNotAllowedException.class).hasMessageContaining("public");
    assertThat(failure(rules.destination(vertx, URI.create("https://127.0.0.2:9100"))))
        .isInstanceOf(UrlNotAllowedException.class);
  }

  @Test
  void refusesANameWithAnyNonPublicAddressOrNoneAtAll() {
    OutboundRules rules = OutboundRules.publicHttpsOnly().withResolver(fixed(Map.of(
        "mixed.test", "1.1.1.1,10.0.0.1", "public.test", "1.1.1.1,2606:4700:4700::1111")));

    assertThat(failure(rules.destination(vertx, URI.create("https://mixed.test/"))))
        .isInstanceOf(UrlNotAllowedException.class);
    assertThat(failure(rules.destination(vertx, URI.create("https://nowhere.test/"))))
        .isInstanceOf(UrlNotAllowedException.class);
    assertThat(result(rules.destination(vertx, URI.create("https://public.test/"))).getAddress().getHostAddress())
        .isEqualTo("1.1.1.1");
  }

  @Test
  void refusesAnAllowListEntryThatIsNotAHost() {
    for (String entry : List.of("http://127.0.0.1", "127.0.0.1:9100", "shop.test/keyhold", "", "a b")) {
      assertThatThrownBy(() -> OutboundRules.allowing(Set.of(entry))).as(entry)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host name or an IP literal");
    }
  }

  @Test
  void sendsToTheAddressItCheckedWhileTheUrlKeepsItsName() {
    AtomicInteger requests = new AtomicInteger();
    String[] hostHeader = new String[1];
    HttpServer server = result(vertx.createHttpServer().requestHandler(request -> {
      requests.incrementAndGet();
      hostHeader[0] = request.getHeader("Host");
      request.response().end("pong");
    }).listen(0, "127.0.0.1"));
    // shop.test resolves only through the rules' resolver: reaching the server proves the request went
    // to the checked address, not to a second lookup of the name.
    OutboundRules rules = OutboundRules.allowing(Set.of("shop.test"))
        .withResolver(fixed(Map.of("shop.test", "127.0.0.1")));
    WebClient client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false));
    String url = "http://shop.test:" + server.actualPort() + "/ping";

    HttpResponse<Buffer> response = result(rules.request(vertx, client, HttpMethod.GET, url).compose(r -> r.send()));

    assertThat(response.bodyAsString()).isEqualTo("pong");
    assertThat(requests).hasValue(1);
    assertThat(hostHeader[0]).isEqualTo("shop.test:" + server.actualPort());
  }

  @Test
  void sendsNoKeyToANameThatResolvesToLoopbackWhenTheCheckIsSent() {
    AtomicInteger connections = new AtomicInteger();
    NetServer listener = result(vertx.createNetServer().connectHandler(socket -> {
      connections.incrementAndGet();
      socket.close();
    }).listen(0, "127.0.0.1"));
    // A name that passed its check when it was given, and now answers loopback (DNS rebinding); and
    // "localhost", which is not the allow-listed literal 127.0.0.1.
    OutboundRules rules = OutboundRules.allowing(Set.of("127.0.0.1"))
        .withResolver(fixed(Map.of("rebound.test", "127.0.0.1", "localhost", "127.0.0.1")));

    for (String host : List.of("rebound.test", "localhost")) {
      KeyValidator validator = result(AdapterRegistry.load().createValidator("http", AdapterContext.builder()
          .vertx(vertx).merchantId("shop-a").outboundRules(rules)
          .config(new JsonObject().put("base_url", "https://" + host + ":" + listener.actualPort()))
          .secrets(Secrets.of(Map.of("signing_secret", "issuer-secret-0123456789abcdef"))).build()));

      KeyVerdict verdict = result(validator.check("demo", CardKey.of("4539148803436467")));

      assertThat(verdict).as(host).isEqualTo(KeyVerdict.UNKNOWN);
    }
    assertThat(connections).as("connections made towards loopback").hasValue(0);
  }

  /** A resolver answering from a table: host name to comma-separated addresses. */
  private static HostResolver fixed(Map<String, String> table) {
    return host -> {
      String addresses = table.get(host);
      if (addresses == null) {
        throw new UnknownHostException(host);
      }
      List<InetAddress> resolved = new java.util.ArrayList<>();
      for (String address : addresses.split(",")) {
        resolved.add(InetAddress.getByName(address));
      }
      return resolved;
    };
  }
}
