package io.keyhold.adapters.spi;

import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpiValuesTest {

  @Test
  void cardKeysNeverShowTheirTextInToStringOrErrors() {
    CardKey key = CardKey.of("SECRET-1234-5678");

    assertThat(key.toString()).isEqualTo("CardKey[***]");
    assertThat(new DeliveredKey(UnitIndex.of(2), key).toString()).doesNotContain("SECRET").contains("CardKey[***]");
    assertThat(key.reveal()).isEqualTo("SECRET-1234-5678");
    assertThatThrownBy(() -> CardKey.of("SECRET\u0000X")).message().doesNotContain("SECRET");
    assertThatThrownBy(() -> CardKey.of("S".repeat(257))).hasMessage("card key must be at most 256 characters, but had 257");
    assertThatThrownBy(() -> CardKey.of("  ")).hasMessage("card key must not be blank");
  }

  @Test
  void cardKeysAreEqualByText() {
    assertThat(CardKey.of("abc-123")).isEqualTo(CardKey.of("abc-123")).isNotEqualTo(CardKey.of("abc-124"));
    assertThat(CardKey.of("abc-123")).hasSameHashCodeAs(CardKey.of("abc-123"));
  }

  @Test
  void identifiersAndIndexesAreBounded() {
    assertThatThrownBy(() -> UnitIndex.of(-1)).hasMessage("unit index must be between 0 and 9999, but was -1");
    assertThatThrownBy(() -> OrderRef.of("order 1", "shop-a", "demo"))
        .hasMessageContaining("orderId must be 1 to 64 characters").hasMessageContaining("'order 1'");
    assertThatThrownBy(() -> new Reservation("r-1", "shop-a", "demo", 101, Instant.now()))
        .hasMessage("quantity must be between 1 and 100, but was 101");
    assertThat(OrderRef.of("o-1", "shop-a", "demo").reservation()).isEmpty();
    assertThat(OrderRef.of("o-1", "shop-a", "demo").withReservation("r-1").reservation()).contains("r-1");
  }

  @Test
  void theGatewayHandsStatefulAdaptersItsServicesThroughTheContext() {
    Vertx vertx = Vertx.vertx();
    try {
      StringBuilder vault = new StringBuilder("a stand-in for a database pool");
      AdapterContext context = AdapterContext.builder().vertx(vertx).merchantId("shop-a")
          .service(CharSequence.class, vault).build();

      assertThat(context.requireService(CharSequence.class)).isSameAs(vault);
      assertThat(context.service(Number.class)).isEmpty();
      assertThatThrownBy(() -> context.requireService(Number.class)).hasMessageContaining("java.lang.Number");
      assertThat(context.toString()).contains("CharSequence").doesNotContain("stand-in");
    } finally {
      result(vertx.close());
    }
  }

  @Test
  void codesAreStableAndUnknownRefusalsAreKept() {
    assertThat(ReplaceReason.fromCode("duplicate_key")).isEqualTo(ReplaceReason.DUPLICATE_KEY);
    assertThat(ReplaceReason.VERDICT_UNKNOWN.code()).isEqualTo("verdict_unknown");
    assertThat(Refusal.fromCode("out_of_stock")).isEqualTo(Refusal.OUT_OF_STOCK);
    assertThat(Refusal.fromCode("shop_on_holiday")).isEqualTo(Refusal.OTHER);
    assertThat(new OutcomeUnknownException(OutcomeUnknownException.Cause.TIMEOUT, "x").mayHaveTakenEffect()).isTrue();
    assertThat(new CallRejectedException(CallRejectedException.Reason.CIRCUIT_OPEN, "n").mayHaveTakenEffect()).isFalse();
    assertThat(new MerchantRefusedException(Refusal.OUT_OF_STOCK, "x").code()).isEqualTo("out_of_stock");
  }

  @Test
  void secretsAndContextsShowNamesNeverValues() {
    Secrets secrets = Secrets.of(Map.of("signing_secret", "do-not-print-me-0123"));
    Vertx vertx = Vertx.vertx();
    try {
      AdapterContext context = AdapterContext.builder().vertx(vertx).merchantId("shop-a").secrets(secrets).build();

      assertThat(secrets.toString()).isEqualTo("Secrets[signing_secret]");
      assertThat(context.toString()).doesNotContain("do-not-print-me");
      assertThatThrownBy(() -> secrets.require("other")).hasMessage("secret 'other' must be set, but is missing");
      assertThat(context.config()).as("a copy each time").isNotSameAs(context.config());
    } finally {
      result(vertx.close());
    }
  }
}
