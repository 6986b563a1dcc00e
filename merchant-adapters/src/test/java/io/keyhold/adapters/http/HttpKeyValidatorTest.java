package io.keyhold.adapters.http;

import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.Faults;
import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.adapters.resilience.MerchantPolicy;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterRegistry;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.adapters.testing.LocalRules;
import io.keyhold.adapters.testing.ScriptedShop;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code http} validator against the reference merchant's fake issuer, over real HTTP. */
class HttpKeyValidatorTest {

  private static final String SHOP_SECRET = "shop-secret-0123456789abcdef";
  private static final String ISSUER_SECRET = "issuer-secret-0123456789abcdef";
  private static final MerchantPolicy FAST = MerchantPolicy.builder()
      .timeoutMs(300).retryMaxAttempts(2).retryInitialDelayMs(10).build();

  private Vertx vertx;
  private ReferenceMerchant shop;
  private MerchantAdapter adapter;
  private KeyValidator validator;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    shop = result(ReferenceMerchant.start(vertx, ReferenceMerchantOptions.builder()
        .sku("demo", 20).secret(SHOP_SECRET).issuerSecret(ISSUER_SECRET).build()));
    adapter = result(AdapterRegistry.load().createAdapter("http", context(SHOP_SECRET, shop.baseUrl())));
    validator = validatorFor(shop.baseUrl(), ISSUER_SECRET);
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  private AdapterContext context(String secret, String baseUrl) {
    return AdapterContext.builder()
        .vertx(vertx)
        .merchantId("shop-a")
        .config(new JsonObject().put("base_url", baseUrl))
        .outboundRules(LocalRules.LOOPBACK)
        .secrets(Secrets.of(Map.of("signing_secret", secret)))
        .policy(FAST)
        .build();
  }

  private KeyValidator validatorFor(String baseUrl, String secret) {
    return result(AdapterRegistry.load().createValidator("http", context(secret, baseUrl)));
  }

  private CardKey deliveredKey() {
    OrderRef order = OrderRef.of("ord-" + UUID.randomUUID(), "shop-a", "demo");
    List<DeliveredKey> keys = result(adapter.provide(order, List.of(UnitIndex.of(0))));
    return keys.get(0).key();
  }

  @Test
  void aKeyTheIssuerKnowsIsValidAndCheckingDoesNotUseItUp() {
    CardKey key = deliveredKey();

    assertThat(result(validator.check("demo", key))).isEqualTo(KeyVerdict.VALID);
    assertThat(result(validator.check("demo", key))).isEqualTo(KeyVerdict.VALID);
  }

  @Test
  void asksTheIssuerSoItIsNotCheckedOnDelivery() {
    assertThat(validator.local()).isFalse();
  }

  @Test
  void aKeyTheIssuerNeverIssuedIsInvalid() {
    assertThat(result(validator.check("demo", CardKey.of("4111111111111111")))).isEqualTo(KeyVerdict.INVALID);
  }

  @Test
  void aRedeemedKeyIsRedeemed() {
    CardKey key = deliveredKey();
    assertThat(result(shop.redeem(key))).isTrue();

    assertThat(result(validator.check("demo", key))).isEqualTo(KeyVerdict.REDEEMED);
  }

  @Test
  void anIssuerTooSlowToAnswerGivesUnknownWithinTheTimeLimits() {
    CardKey key = deliveredKey();
    shop.faults(new Faults(Faults.Scope.ISSUER, 2_000, 0, 0, 0, 0, 0, Faults.SignatureFault.FORGED, 0,
        Faults.Malformation.NOT_JSON, 0));
    long start = System.nanoTime();

    KeyVerdict verdict = result(validator.check("demo", key));

    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(verdict).isEqualTo(KeyVerdict.UNKNOWN);
    // Two attempts of 300 ms and a 10 ms pause; 1,500 ms leaves room for a slow build machine.
    assertThat(elapsedMs).isLessThan(1_500);
  }

  @Test
  void anIssuerThatNeverAnswersGivesUnknown() {
    shop.faults(faults(json -> json.put("timeout_rate", 1.0)));

    assertThat(result(validator.check("demo", CardKey.of("4111111111111111")))).isEqualTo(KeyVerdict.UNKNOWN);
  }

  @Test
  void issuerErrorsForgedAnswersAndMalformedAnswersGiveUnknown() {
    CardKey key = deliveredKey();

    shop.faults(faults(json -> json.put("error_rate", 1.0)));
    assertThat(result(validator.check("demo", key))).isEqualTo(KeyVerdict.UNKNOWN);

    shop.faults(faults(json -> json.put("signature_fault_rate", 1.0).put("signature_fault", "forged")));
    assertThat(result(validator.check("demo", key))).isEqualTo(KeyVerdict.UNKNOWN);

    shop.faults(faults(json -> json.put("malformed_rate", 1.0).put("malformed", "wrong_types")));
    assertThat(result(validator.check("demo", key))).isEqualTo(KeyVerdict.UNKNOWN);

    shop.faults(Faults.none());
    assertThat(result(validator.check("demo", key))).isEqualTo(KeyVerdict.VALID);
  }

  @Test
  void theIssuersOwnSecretIsRequired() {
    KeyValidator withShopSecret = validatorFor(shop.baseUrl(), SHOP_SECRET);

    assertThat(result(withShopSecret.check("demo", deliveredKey()))).isEqualTo(KeyVerdict.UNKNOWN);
  }

  @Test
  void anIssuerSayingUnknownOrSomethingElseGivesUnknown() {
    try (ScriptedShop saysUnknown = ScriptedShop.start(vertx, ISSUER_SECRET, request -> ScriptedShop.Answer.json(200,
            new JsonObject().put("request_id", request.getString("request_id")).put("verdict", "unknown")));
        ScriptedShop saysMaybe = ScriptedShop.start(vertx, ISSUER_SECRET, request -> ScriptedShop.Answer.json(200,
            new JsonObject().put("request_id", request.getString("request_id")).put("verdict", "maybe")))) {

      assertThat(result(validatorFor(saysUnknown.baseUrl(), ISSUER_SECRET).check("demo", CardKey.of("k-1"))))
          .isEqualTo(KeyVerdict.UNKNOWN);
      assertThat(result(validatorFor(saysMaybe.baseUrl(), ISSUER_SECRET).check("demo", CardKey.of("k-1"))))
          .isEqualTo(KeyVerdict.UNKNOWN);
    }
  }

  @Test
  void aScriptedIssuerSayingRedeemedIsTakenAtItsWord() {
    try (ScriptedShop issuer = ScriptedShop.start(vertx, ISSUER_SECRET, request -> ScriptedShop.Answer.json(200,
        new JsonObject().put("request_id", request.getString("request_id")).put("verdict", "redeemed")))) {

      assertThat(result(validatorFor(issuer.baseUrl(), ISSUER_SECRET).check("demo", CardKey.of("k-1"))))
          .isEqualTo(KeyVerdict.REDEEMED);
    }
  }

  private static Faults faults(UnaryOperator<JsonObject> settings) {
    return Faults.fromJson(settings.apply(new JsonObject().put("scope", "issuer")));
  }
}
