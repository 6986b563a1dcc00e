package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.SkuPolicy;
import io.keyhold.gateway.store.Sku;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The SKU policy has one home, escrow-core's {@link SkuPolicy}: the defaults and bounds the API
 * document publishes ({@code DeadlinePolicy} in openapi.yaml) are its own.
 */
class SkuPolicyDocumentTest {
  private record Bounds(long min, long max) {}

  private static final Map<String, Bounds> BOUNDS = new LinkedHashMap<>();

  static {
    BOUNDS.put("pay_within_seconds", bounds(SkuPolicy.PAY_WITHIN_MIN, SkuPolicy.PAY_WITHIN_MAX));
    BOUNDS.put("deliver_within_seconds", bounds(SkuPolicy.DELIVER_WITHIN_MIN, SkuPolicy.DELIVER_WITHIN_MAX));
    BOUNDS.put("validate_within_seconds", bounds(SkuPolicy.VALIDATE_WITHIN_MIN, SkuPolicy.VALIDATE_WITHIN_MAX));
    BOUNDS.put("resupply_within_seconds", bounds(SkuPolicy.RESUPPLY_WITHIN_MIN, SkuPolicy.RESUPPLY_WITHIN_MAX));
    BOUNDS.put("max_resupply_attempts", new Bounds(0, SkuPolicy.MAX_RESUPPLY_ATTEMPTS_MAX));
    BOUNDS.put("inspection_window_seconds", bounds(SkuPolicy.INSPECTION_WINDOW_MIN, SkuPolicy.INSPECTION_WINDOW_MAX));
    BOUNDS.put("max_hold_seconds", bounds(SkuPolicy.MAX_HOLD_MIN, SkuPolicy.MAX_HOLD_MAX));
  }

  @Test
  void documentsTheDefaultsOfSkuPolicy() throws IOException {
    Map<String, Map<String, Object>> documented = documentedPolicy();
    JsonObject defaults = Sku.policyJson(SkuPolicy.defaults());

    // The compensation is the one member without a default: absent, the SKU pays none.
    assertThat(defaults.containsKey("compensation")).isFalse();
    assertThat(documented.keySet()).containsExactlyInAnyOrderElementsOf(
        java.util.stream.Stream.concat(defaults.fieldNames().stream(), java.util.stream.Stream.of("compensation"))
            .toList());
    for (String field : defaults.fieldNames()) {
      assertThat(String.valueOf(documented.get(field).get("default"))).as("default of %s", field)
          .isEqualTo(String.valueOf(defaults.getValue(field)));
    }
  }

  @Test
  void documentsTheBoundsOfSkuPolicy() throws IOException {
    Map<String, Map<String, Object>> documented = documentedPolicy();

    BOUNDS.forEach((field, bounds) -> {
      assertThat(((Number) documented.get(field).get("minimum")).longValue()).as("minimum of %s", field)
          .isEqualTo(bounds.min());
      assertThat(((Number) documented.get(field).get("maximum")).longValue()).as("maximum of %s", field)
          .isEqualTo(bounds.max());
    });
    assertThat(documented.get("unknown_verdict_policy").get("enum")).isEqualTo(List.of("resupply", "refund"));
    assertThat(documented.get("late_payment_policy").get("enum")).isEqualTo(List.of("fulfil_if_stock", "refund"));
  }

  private static Bounds bounds(Duration min, Duration max) {
    return new Bounds(min.getSeconds(), max.getSeconds());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> documentedPolicy() throws IOException {
    try (InputStream in = SkuPolicyDocumentTest.class.getClassLoader().getResourceAsStream(OpenApiValidation.RESOURCE)) {
      Map<String, Object> document = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
      Map<String, Object> schemas = (Map<String, Object>) ((Map<String, Object>) document.get("components"))
          .get("schemas");
      return (Map<String, Map<String, Object>>) ((Map<String, Object>) schemas.get("DeadlinePolicy"))
          .get("properties");
    }
  }
}
