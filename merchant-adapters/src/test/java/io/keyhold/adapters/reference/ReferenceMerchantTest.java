package io.keyhold.adapters.reference;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.adapters.http.HttpMerchantAdapter;
import io.keyhold.adapters.http.MerchantProtocol;
import io.keyhold.adapters.resilience.MerchantPolicy;
import io.keyhold.adapters.signature.SignatureCheck;
import io.keyhold.adapters.signature.Signatures;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.adapters.testing.LocalRules;
import io.keyhold.adapters.validators.FormatKeyValidator;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reference merchant's faults, switched at start and at run time, seen through the adapter and validators. */
class ReferenceMerchantTest {

  private static final String SECRET = "reference-test-secret-0123";
  private static final FormatKeyValidator LUHN_16 = FormatKeyValidator.fromConfig(new JsonObject()
      .put("default", new JsonObject().put("pattern", "[0-9]{16}").put("checksum", "luhn")));

  private Vertx vertx;
  private WebClient client;
  private ReferenceMerchant shop;
  private HttpMerchantAdapter adapter;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    shop = result(ReferenceMerchant.start(vertx, ReferenceMerchantOptions.builder().sku("demo", 30).secret(SECRET).build()));
    adapter = HttpMerchantAdapter.create(AdapterContext.builder()
        .vertx(vertx)
        .merchantId("shop-a")
        .config(new JsonObject().put("base_url", shop.baseUrl()))
        .outboundRules(LocalRules.LOOPBACK)
        .secrets(Secrets.of(Map.of("signing_secret", SECRET)))
        .policy(MerchantPolicy.builder().retryMaxAttempts(1).build())
        .build());
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  private CardKey deliver() {
    List<DeliveredKey> keys = result(adapter.provide(OrderRef.of("ord-" + UUID.randomUUID(), "shop-a", "demo"),
        List.of(UnitIndex.of(0))));
    return keys.get(0).key();
  }

  private KeyVerdict issuerSays(CardKey key) {
    Buffer body = new JsonObject().put("request_id", UUID.randomUUID().toString()).put("sku_id", "demo")
        .put("key", key.reveal()).toBuffer();
    HttpResponse<Buffer> answer = result(client.postAbs(shop.baseUrl() + MerchantProtocol.PATH_CHECKS)
        .putHeader(Signatures.HEADER, Signatures.builder().secret(SECRET).build().sign(body))
        .sendBuffer(body));
    return KeyVerdict.fromCode(answer.bodyAsJsonObject().getString("verdict"));
  }

  private HttpResponse<Buffer> postFaults(JsonObject faults) {
    return result(client.postAbs(shop.baseUrl() + "/_faults").sendJsonObject(faults));
  }

  @Test
  void itsOwnKeysPassTheFormatCheckAndTheIssuer() {
    CardKey key = deliver();

    assertThat(result(LUHN_16.check("demo", key))).isEqualTo(KeyVerdict.VALID);
    assertThat(issuerSays(key)).isEqualTo(KeyVerdict.VALID);
  }

  @Test
  void faultsSwitchAtRunTimeThroughTheAdminEndpoint() {
    HttpResponse<Buffer> switched = postFaults(new JsonObject().put("error_rate", 1.0));

    assertThat(switched.statusCode()).isEqualTo(200);
    assertThat(result(client.getAbs(shop.baseUrl() + "/_faults").send()).bodyAsJsonObject().getDouble("error_rate"))
        .isEqualTo(1.0);
    assertThat(((OutcomeUnknownException) failure(adapter.provide(OrderRef.of("ord-1", "shop-a", "demo"),
        List.of(UnitIndex.of(0))))).reason()).isEqualTo(OutcomeUnknownException.Cause.SERVER_ERROR);

    postFaults(new JsonObject());
    assertThat(deliver()).isNotNull();
  }

  @Test
  void answersBothHealthProbesWhateverFaultsAreOn() {
    shop.faults(Faults.fromJson(new JsonObject().put("error_rate", 1.0)));

    for (String probe : List.of("/health/live", "/health/ready")) {
      HttpResponse<Buffer> answer = result(client.getAbs(shop.baseUrl() + probe).send());

      assertThat(answer.statusCode()).as(probe).isEqualTo(200);
      assertThat(answer.bodyAsJsonObject().getString("status")).as(probe).isIn("up", "ready");
    }
  }

  @Test
  void badFaultSettingsAreRefusedAndChangeNothing() {
    HttpResponse<Buffer> refused = postFaults(new JsonObject().put("error_rate", 2.0));
    HttpResponse<Buffer> typo = postFaults(new JsonObject().put("eror_rate", 1.0));

    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.bodyAsJsonObject().getString("detail")).isEqualTo("error_rate must be between 0 and 1, but was 2.0");
    assertThat(typo.statusCode()).isEqualTo(400);
    assertThat(shop.faults()).isEqualTo(Faults.none());
  }

  @Test
  void theInvalidKeyFaultDeliversKeysThatFailFormatAndIssuer() {
    shop.faults(Faults.fromJson(new JsonObject().put("invalid_key_rate", 1.0)));

    CardKey key = deliver();

    assertThat(result(LUHN_16.check("demo", key))).isEqualTo(KeyVerdict.INVALID);
    assertThat(issuerSays(key)).isEqualTo(KeyVerdict.INVALID);
  }

  @Test
  void theRedeemedKeyFaultDeliversKeysTheIssuerCountsAsUsed() {
    shop.faults(Faults.fromJson(new JsonObject().put("redeemed_key_rate", 1.0)));

    CardKey key = deliver();

    assertThat(result(LUHN_16.check("demo", key))).isEqualTo(KeyVerdict.VALID);
    assertThat(issuerSays(key)).isEqualTo(KeyVerdict.REDEEMED);
  }

  @Test
  void theDuplicateKeyFaultSellsOneKeyToTwoOrders() {
    CardKey first = deliver();
    shop.faults(Faults.fromJson(new JsonObject().put("duplicate_key_rate", 1.0)));

    CardKey second = deliver();

    assertThat(second).isEqualTo(first);
  }

  @Test
  void anOversizedRequestIsRefusedWithASignedProblem() {
    Buffer huge = new JsonObject().put("request_id", "r-1").put("padding", "x".repeat(70_000)).toBuffer();

    HttpResponse<Buffer> answer = result(client.postAbs(shop.baseUrl() + MerchantProtocol.PATH_DELIVERIES)
        .putHeader(Signatures.HEADER, Signatures.builder().secret(SECRET).build().sign(huge))
        .sendBuffer(huge));

    assertThat(answer.statusCode()).isEqualTo(413);
    assertThat(answer.bodyAsJsonObject().getString("code")).isEqualTo("body_too_large");
    assertThat(Signatures.builder().secret(SECRET).build().verify(answer.getHeader(Signatures.HEADER), answer.body()))
        .isEqualTo(SignatureCheck.VALID);
  }

  @Test
  void aRequestMissingFieldsIsABadRequestEchoingItsId() {
    Buffer body = new JsonObject().put("request_id", "r-7").put("merchant_id", "shop-a").toBuffer();

    HttpResponse<Buffer> answer = result(client.postAbs(shop.baseUrl() + MerchantProtocol.PATH_DELIVERIES)
        .putHeader(Signatures.HEADER, Signatures.builder().secret(SECRET).build().sign(body))
        .sendBuffer(body));

    assertThat(answer.statusCode()).isEqualTo(400);
    assertThat(answer.bodyAsJsonObject().getString("code")).isEqualTo("bad_request");
    assertThat(answer.bodyAsJsonObject().getString("request_id")).isEqualTo("r-7");
  }

  @Test
  void startsOnAFreePortAndStopsCleanly() {
    ReferenceMerchant second = result(ReferenceMerchant.start(vertx, ReferenceMerchantOptions.builder().build()));

    assertThat(second.port()).isPositive().isNotEqualTo(shop.port());
    assertThat(second.baseUrl()).isEqualTo("http://127.0.0.1:" + second.port());
    result(second.close());
    assertThat(failure(client.getAbs(second.baseUrl() + "/_stats").send())).isNotNull();
  }

  @Test
  void optionsRejectBadValuesSayingWhatTheyGot() {
    assertThatThrownBy(() -> ReferenceMerchantOptions.builder().port(70_000))
        .hasMessage("port must be between 0 and 65535, but was 70000");
    assertThatThrownBy(() -> ReferenceMerchantOptions.builder().sku("demo", -1))
        .hasMessageContaining("but was -1");
    assertThatThrownBy(() -> ReferenceMerchantOptions.builder().secret("short").build())
        .hasMessageContaining("at least 16 bytes");
  }
}
