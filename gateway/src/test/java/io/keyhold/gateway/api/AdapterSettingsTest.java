package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
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
 * A merchant's adapter settings are checked against the adapter type's documented settings when the
 * merchant is created: a mistake answers 400 naming the field, instead of a 201 and a 503 at the
 * first checkout.
 */
class AdapterSettingsTest {
  static final String SECRET = "shop-signing-secret-for-settings-01";
  private static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  /** Settings of the http adapter every rule accepts (127.0.0.1 is on the test gateway's allow-list). */
  static JsonObject goodHttpConfig() {
    return new JsonObject().put("base_url", "http://127.0.0.1:9/keyhold").put("signing_secret", SECRET);
  }

  static String merchantWith(JsonObject adapter) {
    return new JsonObject().put("name", "Settings shop").put("fee_basis_points", 100).put("adapter", adapter).encode();
  }

  static Stream<Arguments> badAdapters() {
    return Stream.of(
        http("empty settings", c -> new JsonObject(), "/adapter/config/base_url", "missing"),
        http("empty settings name the secret too", c -> new JsonObject(), "/adapter/config/signing_secret", "missing"),
        http("only a made-up setting", c -> new JsonObject().put("foo", "bar"), "/adapter/config/foo", "unknown_field"),
        http("a made-up setting beside good ones", c -> c.put("foo", "bar"), "/adapter/config/foo", "unknown_field"),
        http("signing secret shorter than 16", c -> c.put("signing_secret", "fifteen-chars-x"),
            "/adapter/config/signing_secret", "too_short"),
        http("second secret shorter than 16", c -> c.put("signing_secret_next", "short"),
            "/adapter/config/signing_secret_next", "too_short"),
        http("base url not a URL", c -> c.put("base_url", "shop at port 9"), "/adapter/config/base_url",
            "invalid_format"),
        http("base url with a query", c -> c.put("base_url", "http://127.0.0.1:9/keyhold?x=1"),
            "/adapter/config/base_url", "invalid_format"),
        http("replay window of zero", c -> c.put("replay_window_seconds", 0), "/adapter/config/replay_window_seconds",
            "out_of_range"),
        http("time limit past a minute", c -> c.put("timeout_ms", 60_001), "/adapter/config/timeout_ms",
            "out_of_range"),
        Arguments.of("http without settings", new JsonObject().put("type", "http"), "/adapter/config", "missing"),
        Arguments.of("stock with a setting", new JsonObject().put("type", "stock")
            .put("config", new JsonObject().put("foo", "bar")), "/adapter/config/foo", "unknown_field"),
        Arguments.of("an adapter type nobody provides", new JsonObject().put("type", "psychic"), "/adapter/type",
            "invalid_value"));
  }

  private static Arguments http(String what, UnaryOperator<JsonObject> change, String field, String code) {
    return Arguments.of(what, new JsonObject().put("type", "http").put("config", change.apply(goodHttpConfig())),
        field, code);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badAdapters")
  void refusesSettingsTheAdapterCouldNotUseNamingTheField(String what, JsonObject adapter, String field, String code) {
    Map<String, Long> before = gw.rowCounts();

    Response response = gw.post("/admin/v1/merchants", gw.adminToken(), merchantWith(adapter));

    assertThat(response.status()).as(response.toString()).isEqualTo(400);
    assertThat(response.problemCode()).isEqualTo("validation_failed");
    assertThat(response.json().getJsonArray("errors").stream().map(JsonObject.class::cast)
        .map(e -> e.getString("field") + " " + e.getString("code"))).as(response.body()).contains(field + " " + code);
    assertThat(response.body()).doesNotContain(SECRET);
    assertThat(gw.rowCounts()).isEqualTo(before);
  }

  @Test
  void namesOnlyTheBadSettingsNotTheDeclaredFieldHoldingThem() {
    Response response = gw.post("/admin/v1/merchants", gw.adminToken(), merchantWith(new JsonObject()
        .put("type", "http").put("config", goodHttpConfig().put("signing_secret", "short"))));

    assertThat(response.json().getJsonArray("errors").stream().map(JsonObject.class::cast)
        .map(e -> e.getString("field") + " " + e.getString("code")))
        .as(response.body()).containsExactly("/adapter/config/signing_secret too_short");
  }

  @Test
  void acceptsEveryDocumentedSettingOfTheHttpAdapter() {
    JsonObject config = goodHttpConfig().put("signing_secret_next", "shop-next-signing-secret-0123456")
        .put("timeout_ms", 1500).put("replay_window_seconds", 120);

    Response created = gw.post("/admin/v1/merchants", gw.adminToken(),
        merchantWith(new JsonObject().put("type", "http").put("config", config)));

    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.body()).doesNotContain(SECRET);
  }

  @Test
  void acceptsTheStockAdapterWithNoSettings() {
    Response created = gw.post("/admin/v1/merchants", gw.adminToken(),
        merchantWith(new JsonObject().put("type", "stock").put("config", new JsonObject())));

    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }
}
