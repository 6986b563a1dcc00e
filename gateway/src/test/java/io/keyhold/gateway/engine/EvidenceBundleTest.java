package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.EvidenceEvent;
import io.keyhold.escrow.EvidenceType;
import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Signed evidence bundles over HTTP, checked the way an outsider would: the JDK and the public key only. */
class EvidenceBundleTest {
  static TestGateway gw;
  static Purchases purchases;
  static Purchases.Shop shop;
  static Purchases.Purchase released;
  static String bundleText;
  static String publicKey;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    purchases = new Purchases(gw);
    shop = purchases.stockShop(5, null);
    released = purchases.readyOrder(shop, 2);
    purchases.act(released, "reveal");
    purchases.act(released, "confirm");
    TestGateway.Response evidence = gw.get(released.path("/evidence"), released.token());
    assertThat(evidence.status()).isEqualTo(200);
    bundleText = evidence.body();
    TestGateway.Response key = gw.get("/v1/evidence-key", null);
    assertThat(key.status()).isEqualTo(200);
    publicKey = key.json().getString("public_key");
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parsed() {
    return (Map<String, Object>) JdkOnlyVerifier.parse(bundleText);
  }

  @Test
  void aBundleVerifiesWithThePublicKeyUsingOnlyTheJdk() throws Exception {
    Map<String, Object> signed = parsed();
    assertThat(signed.get("algorithm")).isEqualTo("Ed25519");
    assertThat(signed.get("key_id")).isEqualTo(gw.get("/v1/evidence-key", null).json().getString("key_id"));
    byte[] canonical = JdkOnlyVerifier.canonical(signed.get("bundle"));
    assertThat(JdkOnlyVerifier.verify(publicKey, canonical, (String) signed.get("signature"))).isTrue();
  }

  @Test
  void changingOneByteBreaksTheSignature() throws Exception {
    Map<String, Object> signed = parsed();
    byte[] canonical = JdkOnlyVerifier.canonical(signed.get("bundle"));
    String signature = (String) signed.get("signature");
    String text = new String(canonical, StandardCharsets.UTF_8);
    int[] positions = {0, canonical.length / 3, text.indexOf("\"total\""), text.indexOf(released.orderId()),
        canonical.length - 2};
    for (int position : positions) {
      byte[] altered = canonical.clone();
      altered[position] ^= 0x01;
      assertThat(JdkOnlyVerifier.verify(publicKey, altered, signature)).as("byte %d changed", position).isFalse();
    }
    String cheaper = text.replace("\"amount\":2000", "\"amount\":2001");
    assertThat(cheaper).isNotEqualTo(text);
    assertThat(JdkOnlyVerifier.verify(publicKey, cheaper.getBytes(StandardCharsets.UTF_8), signature)).isFalse();
  }

  @Test
  void theGatewaysCanonicalFormIsTheDocumentedOne() {
    JsonObject bundle = new JsonObject(bundleText).getJsonObject("bundle");
    assertThat(CanonicalJson.encode(bundle)).isEqualTo(JdkOnlyVerifier.canonical(parsed().get("bundle")));
    assertThat(EvidenceBundles.verify(new JsonObject(bundleText), java.util.Base64.getDecoder().decode(publicKey)))
        .isTrue();
  }

  @Test
  void theBundleHoldsTheChainPaymentDeliveriesChecksDeadlinesAndMerchantButNoKey() {
    JsonObject bundle = new JsonObject(bundleText).getJsonObject("bundle");
    assertThat(bundle.getString("format")).isEqualTo(EvidenceBundles.FORMAT);
    assertThat(bundle.getJsonObject("merchant").getString("id")).isEqualTo(shop.merchant().id());
    assertThat(bundle.getJsonObject("merchant").getString("name")).startsWith("Shop ");
    assertThat(bundle.getJsonObject("order").getString("state")).isEqualTo("released");
    assertThat(bundle.getJsonObject("deadlines").getString("pay_by")).isNotNull();
    assertThat(bundle.getJsonObject("deadlines").getString("deliver_by")).isNotNull();
    assertThat(bundle.getJsonObject("deadlines").getString("inspection_ends_at")).isNotNull();
    assertThat(bundle.getJsonArray("payments")).hasSize(1);
    assertThat(bundle.getJsonArray("payments").getJsonObject(0).getString("use")).isEqualTo("funded");
    assertThat(bundle.getJsonArray("deliveries")).hasSize(2).allSatisfy(delivery ->
        assertThat(((JsonObject) delivery).getString("key_fingerprint")).matches("[0-9a-f]{64}"));
    assertThat(bundle.getJsonArray("validations")).isNotEmpty().allSatisfy(check ->
        assertThat(((JsonObject) check).getString("verdict")).isEqualTo("valid"));
    assertThat(bundle.getJsonArray("ledger")).isNotEmpty();

    JsonObject chain = bundle.getJsonObject("chain");
    assertThat(chain.getBoolean("intact")).isTrue();
    List<Object> events = bundle.getJsonArray("events").getList();
    assertThat(chain.getInteger("length")).isEqualTo(events.size());
    String previous = EvidenceEvent.GENESIS_HASH;
    for (int i = 0; i < events.size(); i++) {
      JsonObject event = bundle.getJsonArray("events").getJsonObject(i);
      Map<String, String> details = new java.util.TreeMap<>();
      event.getJsonObject("details").forEach(entry -> details.put(entry.getKey(), (String) entry.getValue()));
      EvidenceEvent rebuilt = EvidenceEvent.link(released.orderId(), event.getLong("seq"),
          EvidenceType.fromCode(event.getString("type")), Instant.parse(event.getString("at")), details, previous);
      assertThat(rebuilt.hash()).as("hash of event %d", i + 1).isEqualTo(event.getString("hash"));
      previous = rebuilt.hash();
    }
    assertThat(chain.getString("head_hash")).isEqualTo(previous);

    assertThat(bundleText).doesNotContain(shop.keys().toArray(new String[0])).doesNotContain(released.token());
  }

  @Test
  void theBundleDownloadsAsAFileAndHasAPrintablePage() {
    TestGateway.Response download = gw.get(released.path("/evidence") + "?download=1", released.token());
    assertThat(download.headers().get("content-disposition"))
        .isEqualTo("attachment; filename=\"keyhold-evidence-" + released.orderId() + ".json\"");
    TestGateway.Response page = gw.get("/orders/" + released.orderId() + "/evidence?t=" + released.token(), null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.contentType()).startsWith("text/html");
    assertThat(page.body()).contains("/assets/evidence.js").doesNotContain(shop.keys().toArray(new String[0]));
  }
}
