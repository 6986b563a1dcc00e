package io.keyhold.adapters.validators;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterRegistry;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FormatKeyValidatorTest {

  private static final JsonObject CONFIG = new JsonObject()
      .put("skus", new JsonObject()
          .put("game-card", new JsonObject().put("pattern", "[0-9]{16}").put("checksum", "luhn").put("ignore", " -"))
          .put("bank-voucher", new JsonObject().put("pattern", "[A-Z]{4}[0-9]{14}[A-Z]{2}[0-9]{2}").put("checksum", "mod97-10"))
          .put("gift-code", new JsonObject().put("pattern", "GC-[A-Z0-9]{8}")))
      .put("default", new JsonObject().put("pattern", "[A-Za-z0-9-]{8,64}"));

  private Vertx vertx;
  private KeyValidator validator;

  @BeforeEach
  void createThroughTheRegistry() {
    vertx = Vertx.vertx();
    validator = result(AdapterRegistry.load().createValidator("format",
        AdapterContext.builder().vertx(vertx).merchantId("shop-a").config(CONFIG).build()));
  }

  @AfterEach
  void close() {
    result(vertx.close());
  }

  private KeyVerdict check(String sku, String key) {
    return result(validator.check(sku, CardKey.of(key)));
  }

  @Test
  void acceptsKeysOfTheRightPatternAndChecksum() {
    assertThat(check("game-card", "4111111111111111")).isEqualTo(KeyVerdict.VALID);
    assertThat(check("game-card", "4111-1111-1111-1111")).as("ignored characters").isEqualTo(KeyVerdict.VALID);
    assertThat(check("bank-voucher", "WEST12345698765432GB82")).isEqualTo(KeyVerdict.VALID);
    assertThat(check("gift-code", "GC-AB12CD34")).isEqualTo(KeyVerdict.VALID);
  }

  @Test
  void decidesFromTheKeyAloneSoItIsCheckedOnDelivery() {
    assertThat(validator.local()).isTrue();
  }

  @Test
  void rejectsKeysWithABadChecksum() {
    assertThat(check("game-card", "4111111111111112")).isEqualTo(KeyVerdict.INVALID);
    assertThat(check("bank-voucher", "WEST12345698765432GB83")).isEqualTo(KeyVerdict.INVALID);
  }

  @Test
  void rejectsKeysOfTheWrongShapeAsAWhole() {
    assertThat(check("game-card", "41111111111111110")).isEqualTo(KeyVerdict.INVALID);
    assertThat(check("game-card", "x4111111111111111")).as("the pattern must match in full").isEqualTo(KeyVerdict.INVALID);
    assertThat(check("gift-code", "GC-ab12cd34")).isEqualTo(KeyVerdict.INVALID);
  }

  @Test
  void usesTheDefaultRuleForOtherSkus() {
    assertThat(check("anything-else", "abcd-1234")).isEqualTo(KeyVerdict.VALID);
    assertThat(check("anything-else", "short")).isEqualTo(KeyVerdict.INVALID);
  }

  @Test
  void answersUnknownForASkuWithoutAnyRule() {
    KeyValidator withoutDefault = FormatKeyValidator.fromConfig(new JsonObject().put("skus", CONFIG.getJsonObject("skus")));

    assertThat(result(withoutDefault.check("anything-else", CardKey.of("abcd-1234")))).isEqualTo(KeyVerdict.UNKNOWN);
  }

  @Test
  void failsForBadArgumentsInsteadOfThrowing() {
    assertThat(failure(validator.check("bad sku!", CardKey.of("4111111111111111"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(validator.check("game-card", null))).isInstanceOf(NullPointerException.class);
  }

  @Test
  void rejectsBadConfigurationNamingTheField() {
    assertThatThrownBy(() -> FormatKeyValidator.fromConfig(new JsonObject()
        .put("skus", new JsonObject().put("a", new JsonObject().put("pattern", "[0-9")))))
        .hasMessageContaining("skus.a.pattern is not a valid regular expression");
    assertThatThrownBy(() -> FormatKeyValidator.fromConfig(new JsonObject()
        .put("skus", new JsonObject().put("a", new JsonObject().put("pattern", "[0-9]+").put("checksum", "crc")))))
        .hasMessageContaining("but was crc");
    assertThatThrownBy(() -> FormatKeyValidator.fromConfig(new JsonObject()
        .put("skus", new JsonObject().put("a", new JsonObject().put("pattern", "[0-9]+").put("checksun", "luhn")))))
        .hasMessageContaining("unknown field 'checksun'");
    assertThat(failure(AdapterRegistry.load().createValidator("format", AdapterContext.builder().vertx(vertx)
        .merchantId("shop-a").config(new JsonObject().put("skus", "nope")).build())))
        .hasMessageContaining("skus must be an object");
  }
}
