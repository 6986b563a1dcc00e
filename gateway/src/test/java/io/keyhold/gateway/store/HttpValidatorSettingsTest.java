package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway.Merchant;
import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The settings of an {@code http} validator (the issuer check) are given on the SKU and checked when
 * it is created: a validator that could not be built is refused with 400 naming the field, never
 * stored; its secrets are stored sealed and never shown again.
 */
class HttpValidatorSettingsTest {
  static final String SECRET = "issuer-secret-for-settings-0123456789";
  static final String NEXT_SECRET = "issuer-next-secret-for-settings-0123";
  private static TestGateway gw;
  private static Merchant merchant;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    merchant = gw.createMerchant("Issuer settings shop");
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  /** An http validator every rule accepts (127.0.0.1 is on the test gateway's allow-list). */
  static JsonObject goodHttpValidator() {
    return new JsonObject().put("type", "http").put("url", "http://127.0.0.1:9/issuer").put("signing_secret", SECRET);
  }

  static String skuWith(JsonObject validator) {
    return new JsonObject().put("name", "Card").put("price", 100).put("currency", "CNY")
        .put("validators", new JsonArray().add(validator)).encode();
  }

  static Stream<Arguments> badValidators() {
    return Stream.of(
        bad("no signing secret", v -> { v.remove("signing_secret"); return v; }, "/validators/0/signing_secret", "missing"),
        bad("signing secret shorter than 16", v -> v.put("signing_secret", "fifteen-chars-x"),
            "/validators/0/signing_secret", "too_short"),
        bad("second secret shorter than 16", v -> v.put("signing_secret_next", "short"),
            "/validators/0/signing_secret_next", "too_short"),
        bad("signing secret not a string", v -> v.put("signing_secret", 1234567890123456789L),
            "/validators/0/signing_secret", "wrong_type"),
        bad("no url", v -> { v.remove("url"); return v; }, "/validators/0/url", "missing"),
        bad("url not a URL", v -> v.put("url", "issuer at port 9"), "/validators/0/url", "invalid_format"),
        bad("time limit of zero", v -> v.put("timeout_ms", 0), "/validators/0/timeout_ms", "out_of_range"),
        bad("time limit past a minute", v -> v.put("timeout_ms", 60_001), "/validators/0/timeout_ms", "out_of_range"),
        bad("replay window past an hour", v -> v.put("replay_window_seconds", 3_601),
            "/validators/0/replay_window_seconds", "out_of_range"),
        bad("unknown setting", v -> v.put("secret", SECRET), "/validators/0/secret", "unknown_field"),
        bad("format setting on an http validator", v -> v.put("pattern", "^[0-9]+$"), "/validators/0/pattern",
            "unknown_field"),
        bad("secret on a format validator",
            v -> new JsonObject().put("type", "format").put("pattern", "^[0-9]+$").put("signing_secret", SECRET),
            "/validators/0/signing_secret", "unknown_field"));
  }

  private static Arguments bad(String what, UnaryOperator<JsonObject> change, String field, String code) {
    return Arguments.of(what, change.apply(goodHttpValidator()), field, code);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValidators")
  void refusesAValidatorThatCouldNotBeBuiltNamingTheField(String what, JsonObject validator, String field,
      String code) {
    Map<String, Long> before = gw.rowCounts();

    Response response = gw.post("/v1/skus", merchant.apiKey(), skuWith(validator));

    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.problemCode()).isEqualTo("validation_failed");
    assertThat(response.json().getJsonArray("errors").stream().map(JsonObject.class::cast)
        .map(e -> e.getString("field") + " " + e.getString("code"))).as(response.body()).contains(field + " " + code);
    assertThat(response.body()).doesNotContain(SECRET);
    assertThat(gw.rowCounts()).isEqualTo(before);
  }

  @Test
  void storesTheSecretsSealedAndShowsOnlyTheSettings() {
    Response created = gw.post("/v1/skus", merchant.apiKey(), skuWith(goodHttpValidator()
        .put("signing_secret_next", NEXT_SECRET).put("timeout_ms", 1500).put("replay_window_seconds", 120)));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String id = created.json().getString("id");

    JsonObject shown = gw.get("/v1/skus/" + id, merchant.apiKey()).json().getJsonArray("validators").getJsonObject(0);
    String stored = gw.query("SELECT validators::text FROM skus WHERE id = $1", id).get(0).getString(0);

    assertThat(shown.getString("type")).isEqualTo("http");
    assertThat(shown.getString("url")).isEqualTo("http://127.0.0.1:9/issuer");
    assertThat(shown.getInteger("timeout_ms")).isEqualTo(1500);
    assertThat(shown.getInteger("replay_window_seconds")).isEqualTo(120);
    assertThat(created.body() + shown.encode()).doesNotContain(SECRET).doesNotContain(NEXT_SECRET);
    assertThat(stored).as("secrets are sealed at rest").doesNotContain(SECRET).doesNotContain(NEXT_SECRET);
  }
}
