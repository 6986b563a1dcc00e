package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway.Merchant;
import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input answers 4xx problem+json with a stable code and stores nothing. */
class BadInputTest {
  private static final long BODY_LIMIT_BYTES = 64 * 1024;
  private static TestGateway gw;
  private static Merchant merchant;
  private static String skuId;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(config -> config.bodyLimitBytes(BODY_LIMIT_BYTES));
    merchant = gw.createMerchant("Careful Shop");
    skuId = gw.createSku(merchant);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  static String sku(Object price, Object currency) {
    return new JsonObject().put("name", "Card").put("price", price).put("currency", currency).encode();
  }

  static Stream<Arguments> badSkus() {
    return Stream.of(
        Arguments.of("malformed JSON", "{\"name\": \"Card\", ", "malformed_json", null),
        Arguments.of("empty body", "", "malformed_json", null),
        Arguments.of("array body", "[1,2]", "validation_failed", "/"),
        Arguments.of("price as string", sku("1000", "CNY"), "validation_failed", "/price"),
        Arguments.of("price as decimal", "{\"name\":\"Card\",\"price\":10.5,\"currency\":\"CNY\"}", "validation_failed", "/price"),
        Arguments.of("zero price", sku(0, "CNY"), "validation_failed", "/price"),
        Arguments.of("negative price", sku(-5, "CNY"), "validation_failed", "/price"),
        Arguments.of("price past the maximum", sku(1_000_000_000_001L, "CNY"), "validation_failed", "/price"),
        Arguments.of("price past long", "{\"name\":\"Card\",\"price\":92233720368547758080,\"currency\":\"CNY\"}",
            "validation_failed", "/price"),
        Arguments.of("price as exponent", "{\"name\":\"Card\",\"price\":1e30,\"currency\":\"CNY\"}", "validation_failed", "/price"),
        Arguments.of("unknown currency", sku(100, "XYZ"), "validation_failed", "/currency"),
        Arguments.of("lower-case currency", sku(100, "cny"), "validation_failed", "/currency"),
        Arguments.of("currency as number", sku(100, 156), "validation_failed", "/currency"),
        Arguments.of("missing name", "{\"price\":100,\"currency\":\"CNY\"}", "validation_failed", "/name"),
        Arguments.of("unknown field", "{\"name\":\"Card\",\"price\":100,\"currency\":\"CNY\",\"colour\":\"red\"}",
            "validation_failed", "/colour"),
        Arguments.of("policy out of bounds", "{\"name\":\"Card\",\"price\":100,\"currency\":\"CNY\","
            + "\"policy\":{\"pay_within_seconds\":5}}", "validation_failed", "/policy/pay_within_seconds"),
        Arguments.of("unknown late-payment policy", "{\"name\":\"Card\",\"price\":100,\"currency\":\"CNY\","
            + "\"policy\":{\"late_payment_policy\":\"keep_the_money\"}}", "validation_failed",
            "/policy/late_payment_policy"),
        Arguments.of("bad validator regex", "{\"name\":\"Card\",\"price\":100,\"currency\":\"CNY\","
            + "\"validators\":[{\"type\":\"format\",\"pattern\":\"([\"}]}", "validation_failed", "/validators/0/pattern"),
        Arguments.of("unknown validator", "{\"name\":\"Card\",\"price\":100,\"currency\":\"CNY\","
            + "\"validators\":[{\"type\":\"psychic\"}]}", "validation_failed", "/validators/0/type"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSkus")
  void badSkuIsRefusedWithACodeAndNothingStored(String what, String body, String code, String field) {
    Map<String, Long> before = gw.rowCounts();

    Response response = gw.post("/v1/skus", merchant.apiKey(), body, "Idempotency-Key", "bad-" + what.hashCode());

    assertProblem(response, 400, code);
    if (field != null) {
      assertThat(response.json().getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
          .as(response.body()).contains(field);
    }
    assertThat(gw.rowCounts()).isEqualTo(before);
  }

  @Test
  void unknownCurrencyHasItsOwnFieldCode() {
    Response response = gw.post("/v1/skus", merchant.apiKey(), sku(100, "XYZ"));

    assertThat(response.json().getJsonArray("errors").getJsonObject(0).getString("code")).isEqualTo("unknown_currency");
  }

  @Test
  void overflowingPriceIsOutOfRangeNotWrapped() {
    Response response = gw.post("/v1/skus", merchant.apiKey(),
        "{\"name\":\"Card\",\"price\":18446744073709551617,\"currency\":\"CNY\"}");

    assertProblem(response, 400, "validation_failed");
    assertThat(response.json().getJsonArray("errors").getJsonObject(0).getString("code")).isEqualTo("out_of_range");
  }

  @Test
  void oversizedBodyIsRefusedWith413() {
    Map<String, Long> before = gw.rowCounts();
    List<String> keys = IntStream.range(0, 400).mapToObj(i -> "K".repeat(200) + i).toList();

    Response response = gw.uploadKeys(merchant, skuId, keys);

    assertProblem(response, 413, "body_too_large");
    assertThat(gw.rowCounts()).isEqualTo(before);
  }

  @Test
  void badStockUploadsAreRefusedAndStoreNothing() {
    Map<String, Long> before = gw.rowCounts();
    List<String> tooMany = IntStream.range(0, 1001).mapToObj(i -> "K" + i).toList();

    assertProblem(gw.uploadKeys(merchant, skuId, List.of()), 400, "validation_failed");
    assertProblem(gw.uploadKeys(merchant, skuId, tooMany), 400, "validation_failed");
    assertProblem(gw.uploadKeys(merchant, skuId, List.of("K".repeat(257))), 400, "validation_failed");
    assertProblem(gw.uploadKeys(merchant, skuId, List.of("GOOD-KEY-0001", " -- ")), 400, "validation_failed");
    assertProblem(gw.post("/v1/skus/" + skuId + "/stock", merchant.apiKey(), "{\"keys\":[\"A\", 7]}"), 400,
        "validation_failed");
    assertProblem(gw.post("/v1/skus/" + skuId + "/stock", merchant.apiKey(), "{\"keys\":\"ABC\"}"), 400,
        "validation_failed");
    assertThat(gw.rowCounts()).isEqualTo(before);
  }

  /** Control characters (Cc), format and bidi controls (Cf), and line separators a card key must not hold. */
  static Stream<Arguments> controlCharacters() {
    return Stream.of(
        Arguments.of("NUL", "\u0000"),
        Arguments.of("line feed", "\n"),
        Arguments.of("escape sequence", "\u001b[31m"),
        Arguments.of("next line", "\u0085"),
        Arguments.of("right-to-left override", "\u202e"),
        Arguments.of("left-to-right isolate", "\u2066"),
        Arguments.of("left-to-right mark", "\u200e"),
        Arguments.of("byte order mark", "\ufeff"),
        Arguments.of("line separator", "\u2028"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("controlCharacters")
  void refusesStockKeysWithControlCharactersAndStoresNothingOfTheBatch(String what, String character) {
    String formatSku = gw.post("/v1/skus", merchant.apiKey(), new JsonObject().put("name", "Card").put("price", 100)
        .put("currency", "CNY").put("validators", new JsonArray().add(new JsonObject().put("type", "format")
            .put("pattern", "^[A-Z0-9-]+$")))
        .encode()).json().getString("id");
    String marker = "SECRETMARKER" + Math.abs(what.hashCode());
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      keys.add("GOOD-" + marker + "-" + i);
    }
    keys.add("BAD-" + marker + character + "-3");
    Map<String, Long> before = gw.rowCounts();

    Response response = gw.uploadKeys(merchant, formatSku, keys);

    assertProblem(response, 400, "validation_failed");
    assertThat(response.json().getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
        .as(response.body()).containsExactly("/keys/3");
    assertThat(response.body()).doesNotContain(marker);
    assertThat(gw.rowCounts()).isEqualTo(before);
  }

  @Test
  void badIdsAreRefusedWithProblems() {
    Map<String, Long> before = gw.rowCounts();
    for (String id : List.of("nope", "sku_", "sku_" + "A".repeat(24), "sku_" + "a".repeat(25), "1%27%20OR%201=1")) {
      Response get = gw.get("/v1/skus/" + id, merchant.apiKey());
      assertThat(get.status()).as(id + " -> " + get).isBetween(400, 404);
      assertThat(get.problemCode()).as(get.body()).isIn("validation_failed", "not_found");
      Response upload = gw.uploadKeys(merchant, id, List.of("KEY-FOR-BAD-ID"));
      assertThat(upload.status()).as(id + " -> " + upload).isBetween(400, 404);
      assertThat(upload.problemCode()).isIn("validation_failed", "not_found");
    }
    assertProblem(gw.get("/v1/skus/sku_" + "a".repeat(24), merchant.apiKey()), 404, "not_found");
    assertThat(gw.rowCounts()).isEqualTo(before);
  }

  @Test
  void routerErrorsAreProblemsToo() {
    assertProblem(gw.get("/v1/nothing-here", merchant.apiKey()), 404, "not_found");
    assertProblem(gw.send("DELETE", "/v1/skus", merchant.apiKey(), null), 405, "method_not_allowed");
    assertProblem(gw.send("POST", "/v1/skus", merchant.apiKey(), sku(100, "CNY"), "Content-Type", "text/plain"), 415,
        "unsupported_media_type");
  }

  @Test
  void everyProblemHasTheRfc9457Members() {
    JsonObject problem = gw.post("/v1/skus", merchant.apiKey(), sku(0, "CNY")).json();

    assertThat(problem.getString("type")).isEqualTo("urn:keyhold:problem:validation_failed");
    assertThat(problem.getString("title")).isNotBlank();
    assertThat(problem.getInteger("status")).isEqualTo(400);
    assertThat(problem.getString("detail")).isNotBlank();
    assertThat(problem.getString("instance")).isEqualTo("/v1/skus");
    JsonArray errors = problem.getJsonArray("errors");
    assertThat(errors.getJsonObject(0).getString("code")).isEqualTo("out_of_range");
  }

  static void assertProblem(Response response, int status, String code) {
    assertThat(response.status()).as(response.toString()).isEqualTo(status);
    assertThat(response.contentType()).as(response.toString()).isEqualTo("application/problem+json");
    assertThat(response.problemCode()).as(response.toString()).isEqualTo(code);
    assertThat(new ArrayList<>(response.json().fieldNames())).contains("type", "title", "status", "detail", "code");
  }
}
