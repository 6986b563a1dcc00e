package io.keyhold.adapters.http;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.Faults;
import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.adapters.resilience.MerchantPolicy;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.DeliveredKey;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OrderRef;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Refusal;
import io.keyhold.adapters.spi.ReplaceReason;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.adapters.spi.UnitIndex;
import io.keyhold.adapters.testing.LocalRules;
import io.keyhold.adapters.testing.ScriptedShop;
import io.keyhold.adapters.testing.ScriptedShop.Answer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Answers that break the protocol become typed unknown outcomes; the adapter keeps working afterwards. */
class MalformedAnswerTest {

  private static final String SECRET = "malformed-test-secret-0123";
  private static final MerchantPolicy ONE_ATTEMPT = MerchantPolicy.builder().retryMaxAttempts(1).build();

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  private MerchantAdapter adapter(String baseUrl) {
    return HttpMerchantAdapter.create(AdapterContext.builder()
        .vertx(vertx)
        .merchantId("shop-a")
        .config(new JsonObject().put("base_url", baseUrl))
        .outboundRules(LocalRules.LOOPBACK)
        .secrets(Secrets.of(Map.of("signing_secret", SECRET)))
        .policy(ONE_ATTEMPT)
        .build());
  }

  private static OrderRef newOrder() {
    return OrderRef.of("ord-" + UUID.randomUUID(), "shop-a", "demo");
  }

  private static void assertMalformed(Throwable failure) {
    assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
    assertThat(((OutcomeUnknownException) failure).reason()).isEqualTo(OutcomeUnknownException.Cause.MALFORMED_ANSWER);
  }

  @ParameterizedTest
  @EnumSource(Faults.Malformation.class)
  void aMalformedAnswerIsAnUnknownOutcomeAndTheAdapterCarriesOn(Faults.Malformation malformation) {
    ReferenceMerchant shop = result(ReferenceMerchant.start(vertx,
        ReferenceMerchantOptions.builder().sku("demo", 10).secret(SECRET).build()));
    MerchantAdapter adapter = adapter(shop.baseUrl());
    OrderRef order = newOrder();
    shop.faults(Faults.fromJson(new JsonObject().put("malformed", malformation.code()).put("malformed_rate", 1.0)));

    assertMalformed(failure(adapter.provide(order, List.of(UnitIndex.of(0)))));
    assertMalformed(failure(adapter.reserve("demo", 1, Instant.now().plusSeconds(60))));

    shop.faults(Faults.none());
    assertThat(result(adapter.provide(order, List.of(UnitIndex.of(0))))).hasSize(1);
  }

  private MerchantAdapter scripted(Function<JsonObject, Answer> script) {
    ScriptedShop shop = ScriptedShop.start(vertx, SECRET, script);
    return adapter(shop.baseUrl());
  }

  private static JsonObject echo(JsonObject request) {
    return new JsonObject().put("request_id", request.getString("request_id"));
  }

  @Test
  void keysForUnitsNobodyAskedForAreRejected() {
    MerchantAdapter adapter = scripted(request -> Answer.json(200, echo(request)
        .put("order_id", request.getString("order_id"))
        .put("keys", new JsonArray().add(new JsonObject().put("unit", 7).put("key", "4111111111111111")))
        .put("pending", new JsonArray().add(0))));

    assertMalformed(failure(adapter.provide(newOrder(), List.of(UnitIndex.of(0)))));
  }

  @Test
  void anAnswerLeavingOutAUnitIsRejected() {
    MerchantAdapter adapter = scripted(request -> Answer.json(200, echo(request)
        .put("order_id", request.getString("order_id"))
        .put("keys", new JsonArray().add(new JsonObject().put("unit", 0).put("key", "4111111111111111")))
        .put("pending", new JsonArray())));

    assertMalformed(failure(adapter.provide(newOrder(), List.of(UnitIndex.of(0), UnitIndex.of(1)))));
  }

  @Test
  void anEmptyOrOversizedKeyIsRejected() {
    MerchantAdapter emptyKey = scripted(request -> Answer.json(200, echo(request)
        .put("order_id", request.getString("order_id")).put("unit", 0).put("attempt", 1).put("key", " ")));
    MerchantAdapter hugeKey = scripted(request -> Answer.json(200, echo(request)
        .put("order_id", request.getString("order_id")).put("unit", 0).put("attempt", 1).put("key", "9".repeat(300))));

    assertMalformed(failure(emptyKey.replace(newOrder(), UnitIndex.of(0), 1, ReplaceReason.INVALID)));
    Throwable huge = failure(hugeKey.replace(newOrder(), UnitIndex.of(0), 1, ReplaceReason.INVALID));
    assertMalformed(huge);
    assertThat(huge.getMessage()).doesNotContain("999999");
  }

  @Test
  void aKeyWithAControlCharacterComesBackRefusedNotAsAKey() {
    MerchantAdapter delivering = scripted(request -> Answer.json(200, echo(request)
        .put("order_id", request.getString("order_id"))
        .put("keys", new JsonArray()
            .add(new JsonObject().put("unit", 0).put("key", "4111\u202E111111111111"))
            .add(new JsonObject().put("unit", 1).put("key", "4111111111111111")))
        .put("pending", new JsonArray())));
    MerchantAdapter replacing = scripted(request -> Answer.json(200, echo(request)
        .put("order_id", request.getString("order_id")).put("unit", 0).put("attempt", 1)
        .put("key", "4111\u0000111111111111")));

    List<DeliveredKey> delivered = result(delivering.provide(newOrder(), List.of(UnitIndex.of(0), UnitIndex.of(1))));
    DeliveredKey replaced = result(replacing.replace(newOrder(), UnitIndex.of(0), 1, ReplaceReason.INVALID));

    assertThat(delivered).extracting(DeliveredKey::refused).containsExactly(true, false);
    assertThat(delivered.get(0).key()).isNull();
    assertThat(delivered.get(1).key()).isEqualTo(CardKey.of("4111111111111111"));
    assertThat(replaced.refused()).isTrue();
    assertThat(replaced.toString()).doesNotContain("4111");
  }

  @Test
  void aReplacementForAnotherUnitIsRejected() {
    MerchantAdapter adapter = scripted(request -> Answer.json(200, echo(request)
        .put("order_id", request.getString("order_id")).put("unit", 3).put("attempt", 1).put("key", "4111111111111111")));

    assertMalformed(failure(adapter.replace(newOrder(), UnitIndex.of(0), 1, ReplaceReason.INVALID)));
  }

  @Test
  void aHoldLongerThanAskedIsRejected() {
    Instant until = Instant.now().plusSeconds(60).truncatedTo(ChronoUnit.SECONDS);
    MerchantAdapter adapter = scripted(request -> Answer.json(200, echo(request)
        .put("reservation_id", request.getString("reservation_id"))
        .put("sku_id", request.getString("sku_id"))
        .put("quantity", request.getInteger("quantity"))
        .put("expires_at", until.plusSeconds(3600).toString())));

    assertMalformed(failure(adapter.reserve("demo", 1, until)));
  }

  @Test
  void aRefusalWithoutAProblemCodeIsNotTakenAsARefusal() {
    MerchantAdapter adapter = scripted(request -> Answer.json(409, echo(request).put("title", "no")));

    assertMalformed(failure(adapter.provide(newOrder(), List.of(UnitIndex.of(0)))));
  }

  @Test
  void aSignedRefusalWithAProblemCodeIsARefusal() {
    MerchantAdapter adapter = scripted(request -> Answer.json(409, echo(request).put("code", "out_of_stock")));

    Throwable failure = failure(adapter.provide(newOrder(), List.of(UnitIndex.of(0))));

    assertThat(failure).isInstanceOf(MerchantRefusedException.class);
    assertThat(((MerchantRefusedException) failure).refusal()).isEqualTo(Refusal.OUT_OF_STOCK);
  }

  @Test
  void aRefusalCodeThisVersionDoesNotKnowIsKeptAsItCame() {
    MerchantAdapter adapter = scripted(request -> Answer.json(422, echo(request).put("code", "shop_on_holiday")));

    MerchantRefusedException failure = (MerchantRefusedException) failure(adapter.provide(newOrder(), List.of(UnitIndex.of(0))));

    assertThat(failure.refusal()).isEqualTo(Refusal.OTHER);
    assertThat(failure.code()).isEqualTo("shop_on_holiday");
  }

  @Test
  void redirectsAndOtherStatusesAreUnknownOutcomes() {
    MerchantAdapter adapter = scripted(request -> Answer.json(302, echo(request)));

    assertMalformed(failure(adapter.provide(newOrder(), List.of(UnitIndex.of(0)))));
  }

  @Test
  void anEmptyBodyIsAnUnknownOutcome() {
    MerchantAdapter adapter = scripted(request -> new Answer(200, Buffer.buffer()));

    assertMalformed(failure(adapter.provide(newOrder(), List.of(UnitIndex.of(0)))));
  }
}
