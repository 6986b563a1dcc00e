package io.keyhold.adapters.spi;

import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

  @ParameterizedTest(name = "U+{1}")
  @CsvSource({
      "NUL, 0000", "line feed, 000A", "escape, 001B", "delete, 007F", "next line, 0085",
      "left-to-right mark, 200E", "right-to-left mark, 200F", "zero width space, 200B",
      "left-to-right embedding, 202A", "right-to-left override, 202E", "left-to-right isolate, 2066",
      "pop directional isolate, 2069", "byte order mark, FEFF", "line separator, 2028", "paragraph separator, 2029",
      "lone high surrogate, D800"})
  void refusesKeysWithControlCharacters(String name, String hex) {
    String text = "SECRET-12" + (char) Integer.parseInt(hex, 16) + "34";

    assertThat(CardKey.controlCharacterIndex(text)).as(name).isEqualTo(9);
    assertThatThrownBy(() -> CardKey.of(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("card key must not contain control characters, but had one at index 9");
    DeliveredKey delivered = DeliveredKey.of(UnitIndex.of(1), text);
    assertThat(delivered.refused()).isTrue();
    assertThat(delivered.key()).isNull();
    assertThat(delivered.toString()).doesNotContain("SECRET").isEqualTo("DeliveredKey[unit=" + UnitIndex.of(1)
        + ", key=refused]");
  }

  @Test
  void acceptsKeysInAnyScriptAndWithEmoji() {
    for (String text : List.of("ABCD-1234", "点卡-１２３４", "ключ-42", "\uD83C\uDFAE-GAME-1")) {
      assertThat(CardKey.controlCharacterIndex(text)).as(text).isEqualTo(-1);
      assertThat(DeliveredKey.of(UnitIndex.of(0), text).key()).isEqualTo(CardKey.of(text));
    }
    assertThatThrownBy(() -> DeliveredKey.of(UnitIndex.of(0), " ")).hasMessage("card key must not be blank");
    assertThatThrownBy(() -> new DeliveredKey(UnitIndex.of(0), null, "NO-CONTROL-CHARACTER"))
        .isInstanceOf(IllegalArgumentException.class);
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
