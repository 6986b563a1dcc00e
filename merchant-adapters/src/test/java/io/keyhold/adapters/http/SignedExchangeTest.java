package io.keyhold.adapters.http;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.Faults;
import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.adapters.resilience.MerchantPolicy;
import io.keyhold.adapters.signature.SignatureCheck;
import io.keyhold.adapters.signature.Signatures;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.adapters.testing.LocalRules;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Signatures both ways over real HTTP: the adapter rejects answers that are forged, stale, unsigned or
 * replayed; the reference merchant rejects such requests; two secrets carry a rotation through.
 */
class SignedExchangeTest {

  private static final String SECRET_A = "rotation-secret-a-0123456789";
  private static final String SECRET_B = "rotation-secret-b-0123456789";
  /** One attempt, so each test sees exactly the answer the fault produced. */
  private static final MerchantPolicy ONE_ATTEMPT = MerchantPolicy.builder().retryMaxAttempts(1).timeoutMs(2_000).build();

  private Vertx vertx;
  private WebClient rawClient;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    rawClient = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  private ReferenceMerchant shop(String... secrets) {
    ReferenceMerchantOptions.Builder options = ReferenceMerchantOptions.builder().sku("demo", 50);
    for (String secret : secrets) {
      options.secret(secret);
    }
    return result(ReferenceMerchant.start(vertx, options.build()));
  }

  private MerchantAdapter adapter(ReferenceMerchant shop, String secret, String nextSecret) {
    Map<String, String> secrets = new HashMap<>();
    secrets.put("signing_secret", secret);
    if (nextSecret != null) {
      secrets.put("signing_secret_next", nextSecret);
    }
    return HttpMerchantAdapter.create(AdapterContext.builder()
        .vertx(vertx)
        .merchantId("shop-a")
        .config(new JsonObject().put("base_url", shop.baseUrl()))
        .outboundRules(LocalRules.LOOPBACK)
        .secrets(Secrets.of(secrets))
        .policy(ONE_ATTEMPT)
        .build());
  }

  private static OrderRef newOrder() {
    return OrderRef.of("ord-" + UUID.randomUUID(), "shop-a", "demo");
  }

  private static List<UnitIndex> unitZero() {
    return List.of(UnitIndex.of(0));
  }

  // ---- the adapter rejects bad answers -------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Faults.SignatureFault.class)
  void theAdapterTreatsAWronglySignedAnswerAsNoAnswer(Faults.SignatureFault fault) {
    ReferenceMerchant shop = shop(SECRET_A);
    MerchantAdapter adapter = adapter(shop, SECRET_A, null);
    // A first, good exchange gives the replayed fault an earlier answer to send again.
    result(adapter.provide(newOrder(), unitZero()));
    shop.faults(Faults.fromJson(new JsonObject().put("signature_fault", fault.code()).put("signature_fault_rate", 1.0)));

    Throwable failure = failure(adapter.provide(newOrder(), unitZero()));

    assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
    assertThat(((OutcomeUnknownException) failure).reason())
        .as("fault %s", fault)
        .isIn(OutcomeUnknownException.Cause.BAD_SIGNATURE, OutcomeUnknownException.Cause.MALFORMED_ANSWER);
    if (fault != Faults.SignatureFault.REPLAYED) {
      assertThat(((OutcomeUnknownException) failure).reason()).isEqualTo(OutcomeUnknownException.Cause.BAD_SIGNATURE);
    }
  }

  @Test
  void aReplayedAnswerIsCaughtByItsSignatureBeforeItsContent() {
    ReferenceMerchant shop = shop(SECRET_A);
    MerchantAdapter adapter = adapter(shop, SECRET_A, null);
    result(adapter.provide(newOrder(), unitZero()));
    shop.faults(Faults.fromJson(new JsonObject().put("signature_fault", "replayed").put("signature_fault_rate", 1.0)));

    Throwable failure = failure(adapter.provide(newOrder(), unitZero()));

    assertThat(((OutcomeUnknownException) failure).reason()).isEqualTo(OutcomeUnknownException.Cause.BAD_SIGNATURE);
    assertThat(failure).hasMessageContaining("replayed");
  }

  // ---- the reference merchant rejects bad requests -------------------------------------------------

  private HttpResponse<Buffer> post(ReferenceMerchant shop, Buffer body, String signature) {
    var request = rawClient.postAbs(shop.baseUrl() + MerchantProtocol.PATH_DELIVERIES)
        .putHeader("Content-Type", "application/json");
    if (signature != null) {
      request.putHeader(Signatures.HEADER, signature);
    }
    return result(request.sendBuffer(body));
  }

  private static Buffer deliveryRequest() {
    return new JsonObject()
        .put("request_id", UUID.randomUUID().toString())
        .put("merchant_id", "shop-a")
        .put("order_id", "ord-" + UUID.randomUUID())
        .put("sku_id", "demo")
        .put("reservation_id", (String) null)
        .put("units", new JsonArray().add(0))
        .toBuffer();
  }

  private static void assertRejectedAsBadSignature(HttpResponse<Buffer> response, String detail) {
    assertThat(response.statusCode()).isEqualTo(401);
    JsonObject problem = response.bodyAsJsonObject();
    assertThat(problem.getString("code")).isEqualTo("bad_signature");
    assertThat(problem.getString("detail")).contains(detail);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
  }

  @Test
  void theShopRejectsUnsignedForgedStaleAndReplayedRequests() {
    ReferenceMerchant shop = shop(SECRET_A);
    Signatures keyhold = Signatures.builder().secret(SECRET_A).build();
    Signatures forger = Signatures.builder().secret("a-secret-nobody-shares-0123").build();

    assertRejectedAsBadSignature(post(shop, deliveryRequest(), null), "missing");

    Buffer forged = deliveryRequest();
    assertRejectedAsBadSignature(post(shop, forged, forger.sign(forged)), "mismatch");

    Buffer stale = deliveryRequest();
    long tenMinutesAgo = System.currentTimeMillis() / 1000 - 600;
    assertRejectedAsBadSignature(post(shop, stale, keyhold.sign(stale.getBytes(), tenMinutesAgo)), "stale");

    Buffer once = deliveryRequest();
    String signature = keyhold.sign(once);
    HttpResponse<Buffer> first = post(shop, once, signature);
    assertThat(first.statusCode()).isEqualTo(200);
    assertRejectedAsBadSignature(post(shop, once, signature), "replayed");

    assertThat(result(shop.stats()).getLong("rejected_signatures")).isEqualTo(4);
    assertThat(result(shop.stats()).getLong("keys_handed_out")).as("only the good request got a key").isEqualTo(1);
  }

  @Test
  void theShopSignsItsRefusalsToo() {
    ReferenceMerchant shop = shop(SECRET_A);
    Signatures keyhold = Signatures.builder().secret(SECRET_A).build();

    HttpResponse<Buffer> refusal = post(shop, deliveryRequest(), null);

    assertThat(keyhold.verify(refusal.getHeader(Signatures.HEADER), refusal.body())).isEqualTo(SignatureCheck.VALID);
  }

  @Test
  void anAdapterWithTheWrongSecretIsRefusedAndCannotTrustTheAnswer() {
    ReferenceMerchant shop = shop(SECRET_A);
    MerchantAdapter adapter = adapter(shop, SECRET_B, null);

    Throwable failure = failure(adapter.provide(newOrder(), unitZero()));

    assertThat(((OutcomeUnknownException) failure).reason()).isEqualTo(OutcomeUnknownException.Cause.BAD_SIGNATURE);
    assertThat(result(shop.stats()).getLong("rejected_signatures")).isEqualTo(1);
    assertThat(result(shop.stats()).getLong("keys_handed_out")).isZero();
  }

  // ---- rotation -------------------------------------------------------------------------------------

  @Test
  void aRotationWithTwoSecretsNeverFailsAMessage() {
    OrderRef order = newOrder();
    // Step 0: both sides on A.
    ReferenceMerchant onA = shop(SECRET_A);
    DeliveredKey key = result(adapter(onA, SECRET_A, null).provide(order, unitZero())).get(0);
    // Step 1: Keyhold adds B first; the shop still holds only A.
    assertThat(result(adapter(onA, SECRET_A, SECRET_B).provide(order, unitZero()))).containsExactly(key);
    // Step 1': the shop adds B first; Keyhold still holds only A.
    ReferenceMerchant onAandB = shop(SECRET_A, SECRET_B);
    DeliveredKey other = result(adapter(onAandB, SECRET_A, null).provide(order, unitZero())).get(0);
    // Step 2: both hold A and B; then one side drops A while the other still has both.
    assertThat(result(adapter(onAandB, SECRET_B, SECRET_A).provide(order, unitZero()))).containsExactly(other);
    assertThat(result(adapter(onAandB, SECRET_B, null).provide(order, unitZero()))).containsExactly(other);
    // Step 3: both on B only.
    ReferenceMerchant onB = shop(SECRET_B);
    assertThat(result(adapter(onB, SECRET_B, null).provide(newOrder(), unitZero()))).hasSize(1);
    // A side left behind on A alone no longer gets through.
    assertThat(failure(adapter(onB, SECRET_A, null).provide(newOrder(), unitZero())))
        .isInstanceOf(OutcomeUnknownException.class);
  }
}
