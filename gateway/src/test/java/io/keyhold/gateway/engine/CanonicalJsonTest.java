package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {

  private static String canonical(Object value) {
    return new String(CanonicalJson.encode(value), StandardCharsets.UTF_8);
  }

  @Test
  void sortsMembersByUtf16CodeUnitsAndDropsWhitespace() {
    JsonObject value = new JsonObject().put("b", 1).put("a", new JsonArray().add(true).add((Object) null))
        .put("\u00e9", "x").put("B", -7L).put("\ud83d\ude00", "emoji").put("\uff21", "fullwidth");
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FF21 by code units.
    assertThat(canonical(value)).isEqualTo(
        "{\"B\":-7,\"a\":[true,null],\"b\":1,\"\u00e9\":\"x\",\"\ud83d\ude00\":\"emoji\",\"\uff21\":\"fullwidth\"}");
  }

  @Test
  void escapesOnlyWhatRfc8785Escapes() {
    assertThat(canonical("q\" b\\ n\n t\t c\u0001 slash/ \u4e2d")).isEqualTo(
        "\"q\\\" b\\\\ n\\n t\\t c\\u0001 slash/ \u4e2d\"");
  }

  @Test
  void refusesFloatingPointNumbers() {
    assertThatThrownBy(() -> CanonicalJson.encode(new JsonObject().put("amount", 1.5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Double");
  }

  @Test
  void equalValuesGiveEqualBytesWhateverTheirOrder() {
    JsonObject one = new JsonObject().put("x", 1).put("y", new JsonObject().put("b", "2").put("a", "1"));
    JsonObject two = new JsonObject().put("y", new JsonObject().put("a", "1").put("b", "2")).put("x", 1);
    assertThat(CanonicalJson.encode(one)).isEqualTo(CanonicalJson.encode(two));
  }
}
