package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.Coded;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.PaymentUse;
import io.keyhold.escrow.UnitState;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The parts of openapi.yaml that mirror code: they are read from the code here, so they cannot drift. */
class OpenApiDocumentTest {
  private static JsonObject document;

  @BeforeAll
  static void read() throws Exception {
    try (InputStream in = OpenApiDocumentTest.class.getClassLoader().getResourceAsStream(OpenApiValidation.RESOURCE)) {
      Object tree = new Yaml(new SafeConstructor(new LoaderOptions()))
          .load(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      document = new JsonObject(Json.encode(tree));
    }
  }

  static JsonObject schema(String name) {
    JsonObject schema = document.getJsonObject("components").getJsonObject("schemas").getJsonObject(name);
    assertThat(schema).as("components.schemas." + name).isNotNull();
    return schema;
  }

  static List<Object> codes(Coded[] values) {
    return Arrays.stream(values).map(value -> (Object) value.code()).toList();
  }

  static Stream<Arguments> stateEnums() {
    return Stream.of(
        Arguments.of("OrderState", codes(OrderState.values())),
        Arguments.of("UnitState", codes(UnitState.values())),
        Arguments.of("PaymentUse", codes(PaymentUse.values())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stateEnums")
  void stateEnumsAreEscrowCoresCodes(String name, List<Object> codes) {
    assertThat(schema(name).getJsonArray("enum").getList()).as(name).containsExactlyElementsOf(codes);
  }

  @Test
  void everyStateFieldUsesTheStateEnums() {
    Map<String, JsonObject> orders = Map.of("Order", schema("Order"), "BuyerOrder", schema("BuyerOrder"));
    for (Map.Entry<String, JsonObject> order : orders.entrySet()) {
      JsonObject properties = order.getValue().getJsonObject("properties");
      assertThat(properties.getJsonObject("state").getString("$ref")).as(order.getKey() + ".state")
          .isEqualTo("#/components/schemas/OrderState");
      assertThat(properties.getJsonObject("units").getJsonObject("items").getJsonObject("properties")
          .getJsonObject("state").getString("$ref")).as(order.getKey() + ".units[].state")
          .isEqualTo("#/components/schemas/UnitState");
    }
    assertThat(schema("OrderPayment").getJsonObject("properties").getJsonObject("use").getString("$ref"))
        .isEqualTo("#/components/schemas/PaymentUse");
    JsonArray listParameters = document.getJsonObject("paths").getJsonObject("/v1/orders").getJsonObject("get")
        .getJsonArray("parameters");
    JsonObject stateFilter = listParameters.stream().map(JsonObject.class::cast)
        .filter(parameter -> "state".equals(parameter.getString("name"))).findFirst().orElseThrow();
    assertThat(stateFilter.getJsonObject("schema").getString("$ref")).isEqualTo("#/components/schemas/OrderState");
  }

  /**
   * The server refuses a member it does not know in every JSON body it reads ({@link JsonInput}); the document
   * says so with {@code additionalProperties: false} on every object it describes member by member. The two
   * bodies the server does not read as a whole stay open: a provider's notice (its own format) and the sandbox
   * confirmation (nothing read).
   */
  @Test
  void requestBodiesTheServerClosesAreClosedInTheDocument() {
    Set<String> open = Set.of("paymentNotify", "confirmSandboxPayment");
    List<String> notClosed = new ArrayList<>();
    int bodies = 0;
    for (Map.Entry<String, Object> path : document.getJsonObject("paths")) {
      for (Map.Entry<String, Object> method : (JsonObject) path.getValue()) {
        if (!(method.getValue() instanceof JsonObject operation) || !operation.containsKey("requestBody")
            || open.contains(operation.getString("operationId"))) {
          continue;
        }
        bodies++;
        JsonObject schema = operation.getJsonObject("requestBody").getJsonObject("content")
            .getJsonObject("application/json").getJsonObject("schema");
        collectOpenObjects(schema, operation.getString("operationId"), notClosed, new HashSet<>());
      }
    }

    assertThat(bodies).as("operations with a JSON body").isGreaterThan(10);
    assertThat(notClosed).as("object schemas of request bodies without additionalProperties: false").isEmpty();
  }

  private static void collectOpenObjects(Object node, String where, List<String> notClosed, Set<String> seen) {
    if (node instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        collectOpenObjects(array.getValue(i), where + "/" + i, notClosed, seen);
      }
      return;
    }
    if (!(node instanceof JsonObject schema)) {
      return;
    }
    if (schema.containsKey("$ref")) {
      String name = schema.getString("$ref").substring("#/components/schemas/".length());
      if (seen.add(name)) {
        collectOpenObjects(schema(name), name, notClosed, seen);
      }
      return;
    }
    boolean describesMembers = schema.containsKey("properties") || "object".equals(schema.getValue("type"))
        && !schema.containsKey("additionalProperties") && !schema.containsKey("maxProperties");
    if (describesMembers && !Boolean.FALSE.equals(schema.getValue("additionalProperties"))) {
      notClosed.add(where);
    }
    for (String keyword : List.of("properties", "items", "oneOf", "anyOf", "allOf")) {
      Object child = schema.getValue(keyword);
      if (child instanceof JsonObject properties && keyword.equals("properties")) {
        properties.forEach(entry -> collectOpenObjects(entry.getValue(), where + "/" + entry.getKey(), notClosed, seen));
      } else {
        collectOpenObjects(child, where + "/" + keyword, notClosed, seen);
      }
    }
  }

  @Test
  void problemCodesAreTheServersCodes() {
    List<Object> documented = schema("Problem").getJsonObject("properties").getJsonObject("code")
        .getJsonArray("enum").getList();

    assertThat(documented).containsExactlyInAnyOrderElementsOf(
        Arrays.stream(ProblemCode.values()).map(code -> (Object) code.code()).toList());
  }

  @Test
  void fieldErrorCodesAreTheServersCodes() {
    List<Object> documented = schema("Problem").getJsonObject("properties").getJsonObject("errors")
        .getJsonObject("items").getJsonObject("properties").getJsonObject("code").getJsonArray("enum").getList();

    assertThat(documented).containsExactlyInAnyOrderElementsOf(
        Arrays.stream(FieldError.Code.values()).map(code -> (Object) code.code()).toList());
  }
}
