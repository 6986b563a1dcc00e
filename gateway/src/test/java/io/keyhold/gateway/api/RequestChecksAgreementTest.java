package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The compiled request checks make one promise: a request they accept, vertx-openapi's validator accepts too (the
 * document stays the judge; whatever the checks do not accept goes to the validator). Requests are drawn at random
 * (seeded: {@code -Dkeyhold.seed=N} replays a failure) for every operation the checks compile, from values the
 * document's schemas accept, mutated now and then into ones they may not.
 */
class RequestChecksAgreementTest {
  static final long SEED = Long.getLong("keyhold.seed", 20261203L);
  static final int REQUESTS_PER_OPERATION = 400;
  /** The requests of a buyer's lifecycle at peak: these must skip the full validator. */
  static final List<String> HOT_OPERATIONS = List.of("createCheckoutSession", "createSandboxPayment",
      "confirmSandboxPayment", "paymentNotify", "getBuyerOrder", "getBuyerOrderEvents", "revealBuyerOrder",
      "confirmBuyerOrder");
  /** Texts tried where a string goes: the ones a pattern accepts are picked first. */
  static final List<String> TEXTS = List.of("ord_abcdefghijklmnopqrstuvwx", "sku_abcdefghijklmnopqrstuvwx",
      "pay_abcdefghijklmnopqrstuvwx", "mch_abcdefghijklmnopqrstuvwx", "dsp_abcdefghijklmnopqrstuvwx",
      "ord_ABCDEFGHIJKLMNOPQRSTUVWX", "ord_short", "CNY", "EUR", "usd", "XXX", "buyer-1", "b", "",
      "https://shop.example/return", "http://127.0.0.1:8080/x", "2026-12-03T10:00:00Z", "2026-12-03T10:00Z",
      "2026-13-03T10:00:00Z", "2026-12-03", "a b", "a,b", "ключ", "\uD83D\uDE00", "x".repeat(101), "x".repeat(256),
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "AAAA-BBBB-CCCC-DDDD", "10.00", "1",
      "sandbox", "stock", "http", "format", "valid", "invalid", "paid", "accepted", "zh-CN", "en", "Ed25519",
      // Text vertx-openapi may read as JSON, or in quotes as another string; and text it reads as itself.
      "1f3a9c2e-checkout-7", "3b2c1d0e-8f7a-4b6c-9d5e-0a1b2c3d4e5f", "12-x", "1e5", "1E-5", "1 2", "-3", "+3", ".5",
      "1.", "0x1F", "true", "null", "[1]", "{}", "\"quoted\"", "a\"b", "a\\b", "a\\nb", "a\tb",
      "t=1764750000,v1=0a1b,v1=2c3d");
  static final List<Object> ODD_VALUES = List.of(0, 1, -1, 7, 1_000_001, 2.5, 1.0, Long.MAX_VALUE, true, false,
      new JsonObject(), new JsonArray(), new JsonArray().add("a"), "", "x".repeat(300));

  static Vertx vertx;
  static OpenApiValidation validation;
  static OpenAPIContract contract;
  static RequestValidator stock;
  static JsonObject document;

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    validation = TestGateway.await(OpenApiValidation.load(vertx));
    contract = validation.contract();
    stock = RequestValidator.create(vertx, contract);
    document = validation.requestDocument();
  }

  @AfterAll
  static void close() throws Exception {
    TestGateway.await(vertx.close());
  }

  @Test
  void compilesTheRequestsOfABuyersLifecycle() {
    for (String operationId : HOT_OPERATIONS) {
      assertThat(validation.compiled(operationId)).as(operationId).isTrue();
    }
  }

  @Test
  void acceptsOnlyRequestsTheValidatorAccepts() throws Exception {
    Random random = new Random(SEED);
    int compiledOperations = 0;
    int accepted = 0;
    int leftToValidator = 0;
    for (Operation operation : contract.operations()) {
      RequestCheck check = RequestCheck.compile(document, operation).orElse(null);
      if (check == null) {
        continue;
      }
      compiledOperations++;
      int acceptedHere = 0;
      for (int i = 0; i < REQUESTS_PER_OPERATION; i++) {
        Drawn request = draw(operation, random);
        boolean fast = check.certainlyAccepts((in, name) -> request.values(in, name), request.body());
        String verdict = stockVerdict(operation, request);
        if (fast) {
          assertThat(verdict).as("seed " + SEED + ", " + operation.getOperationId() + " request " + i + ": "
              + request).isEqualTo("valid");
          acceptedHere++;
        } else if ("valid".equals(verdict)) {
          leftToValidator++;
        }
      }
      if (HOT_OPERATIONS.contains(operation.getOperationId())) {
        // The generator must reach the accepting side, or the promise above is checked on nothing.
        assertThat(acceptedHere).as(operation.getOperationId() + " requests accepted by the compiled check")
            .isGreaterThan(REQUESTS_PER_OPERATION / 10);
      }
      accepted += acceptedHere;
    }
    System.out.printf("compiled checks: %d operations; %d requests accepted by them and the validator; %d valid"
        + " requests left to the validator%n", compiledOperations, accepted, leftToValidator);
    assertThat(compiledOperations).isGreaterThanOrEqualTo(HOT_OPERATIONS.size());
  }

  @Test
  void takesAnIdempotencyKeyThatStartsWithADigitAndASignatureWithCommasAsTheyAre() throws Exception {
    // Most UUIDs start with a digit, and every sandbox notice is signed "t=..,v1=..": both must keep the fast path.
    Operation checkout = contract.operation("createCheckoutSession");
    Drawn keyed = new Drawn(Map.of(), Map.of(), Map.of("Idempotency-Key", "3b2c1d0e-8f7a-4b6c-9d5e-0a1b2c3d4e5f"),
        new JsonObject().put("sku_id", "sku_abcdefghijklmnopqrstuvwx").put("quantity", 1));
    Operation notify = contract.operation("paymentNotify");
    Drawn signed = new Drawn(Map.of("provider", "sandbox"), Map.of(),
        Map.of("Keyhold-Signature", "t=1764750000,v1=0a1b2c"), new JsonObject().put("anything", 1));

    for (Map.Entry<Operation, Drawn> request : Map.of(checkout, keyed, notify, signed).entrySet()) {
      RequestCheck check = RequestCheck.compile(document, request.getKey()).orElseThrow();
      assertThat(check.certainlyAccepts((in, name) -> request.getValue().values(in, name), request.getValue().body()))
          .as(request.getKey().getOperationId()).isTrue();
      assertThat(stockVerdict(request.getKey(), request.getValue())).isEqualTo("valid");
    }
  }

  @Test
  void leavesAFractionWhereTheDocumentAsksForAnIntegerToTheValidator() {
    SchemaCheck integer = SchemaCheck.compile(new JsonObject().put("type", "integer").put("minimum", 1), ref -> null)
        .orElseThrow();
    assertThat(integer.certainlyAccepts(3)).isTrue();
    assertThat(integer.certainlyAccepts(3.0)).isFalse();
    assertThat(integer.certainlyAccepts(0)).isFalse();
  }

  @Test
  void doesNotCompileAKeywordItCannotJudge() {
    JsonObject oneOf = new JsonObject().put("oneOf", new JsonArray().add(new JsonObject().put("type", "string"))
        .add(new JsonObject().put("type", "integer")));
    assertThat(SchemaCheck.compile(oneOf, ref -> null)).isEmpty();
    assertThat(SchemaCheck.compile(new JsonObject().put("patternProperties", new JsonObject()), ref -> null)).isEmpty();
  }

  /** A request drawn for one operation: parameters as text by place and name, and a body. */
  record Drawn(Map<String, String> path, Map<String, String> query, Map<String, String> headers, JsonObject body) {
    List<String> values(String in, String name) {
      Map<String, String> where = switch (in) {
        case "path" -> path;
        case "query" -> query;
        default -> headers;
      };
      String value = where.get(name);
      return value == null ? List.of() : List.of(value);
    }
  }

  private Drawn draw(Operation operation, Random random) {
    Map<String, String> path = new TreeMap<>();
    Map<String, String> query = new TreeMap<>();
    Map<String, String> headers = new TreeMap<>();
    for (Parameter parameter : operation.getParameters()) {
      if (!parameter.isRequired() && random.nextInt(3) == 0) {
        continue;
      }
      JsonObject schema = resolve(rawParameter(operation, parameter).getValue("schema"));
      Object value = random.nextInt(12) == 0 ? ODD_VALUES.get(random.nextInt(ODD_VALUES.size())) : valid(schema, random, 0);
      String text = String.valueOf(value);
      switch (parameter.getIn()) {
        case PATH -> path.put(parameter.getName(), text);
        case QUERY -> query.put(parameter.getName(), text);
        case HEADER -> headers.put(parameter.getName(), text);
        default -> { }
      }
    }
    JsonObject body = null;
    JsonObject rawOperation = rawOperation(operation);
    if (rawOperation.containsKey("requestBody")) {
      JsonObject requestBody = resolve(rawOperation.getValue("requestBody"));
      Object schema = requestBody.getJsonObject("content").getJsonObject("application/json").getValue("schema");
      Object drawn = valid(resolve(schema), random, 0);
      body = drawn instanceof JsonObject object ? object : new JsonObject();
    }
    return new Drawn(path, query, headers, body);
  }

  /** A value the schema likely accepts; now and then (about one field in ten) one it may not. */
  private Object valid(JsonObject schema, Random random, int depth) {
    if (schema == null || depth > 8) {
      return "x";
    }
    if (random.nextInt(10) == 0) {
      return ODD_VALUES.get(random.nextInt(ODD_VALUES.size()));
    }
    if (schema.containsKey("$ref")) {
      return valid(resolve(schema), random, depth + 1);
    }
    if (schema.containsKey("const")) {
      return schema.getValue("const");
    }
    if (schema.containsKey("enum")) {
      JsonArray values = schema.getJsonArray("enum");
      return values.getValue(random.nextInt(values.size()));
    }
    for (String combination : List.of("anyOf", "oneOf", "allOf")) {
      if (schema.containsKey(combination)) {
        JsonArray branches = schema.getJsonArray(combination);
        JsonObject branch = resolve(branches.getValue(random.nextInt(branches.size())));
        if (!"allOf".equals(combination) || !branch.containsKey("if")) {
          return valid(branch, random, depth + 1);
        }
      }
    }
    Object type = schema.getValue("type");
    if (type instanceof JsonArray types) {
      type = types.getValue(random.nextInt(types.size()));
    }
    if (type == null && schema.containsKey("properties")) {
      type = "object";
    }
    return switch (String.valueOf(type)) {
      case "object" -> object(schema, random, depth);
      case "array" -> {
        JsonArray array = new JsonArray();
        int items = random.nextInt(4);
        for (int i = 0; i < items; i++) {
          array.add(valid(resolve(schema.getValue("items")), random, depth + 1));
        }
        yield array;
      }
      case "integer" -> integer(schema, random);
      case "number" -> random.nextBoolean() ? integer(schema, random) : random.nextDouble() * 100;
      case "boolean" -> random.nextBoolean();
      case "null" -> null;
      default -> text(schema, random);
    };
  }

  private JsonObject object(JsonObject schema, Random random, int depth) {
    JsonObject object = new JsonObject();
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    List<String> required = new ArrayList<>();
    schema.getJsonArray("required", new JsonArray()).forEach(name -> required.add((String) name));
    for (String name : properties.fieldNames()) {
      if (required.contains(name) ? random.nextInt(30) != 0 : random.nextInt(3) == 0) {
        object.put(name, valid(resolve(properties.getValue(name)), random, depth + 1));
      }
    }
    if (random.nextInt(15) == 0) {
      object.put("unknown_field", "x");
    }
    return object;
  }

  private static long integer(JsonObject schema, Random random) {
    long min = schema.getValue("minimum") instanceof Number n ? n.longValue() : 0;
    long max = schema.getValue("maximum") instanceof Number n ? n.longValue() : min + 1_000;
    return switch (random.nextInt(6)) {
      case 0 -> min;
      case 1 -> max;
      case 2 -> min - 1;
      case 3 -> max + 1;
      default -> min + (long) (random.nextDouble() * (max - min));
    };
  }

  private static String text(JsonObject schema, Random random) {
    List<String> fitting = new ArrayList<>();
    Pattern pattern = schema.containsKey("pattern") ? Pattern.compile(schema.getString("pattern")) : null;
    for (String text : TEXTS) {
      if (pattern == null || pattern.matcher(text).find()) {
        fitting.add(text);
      }
    }
    List<String> from = fitting.isEmpty() || random.nextInt(8) == 0 ? TEXTS : fitting;
    return from.get(random.nextInt(from.size()));
  }

  private JsonObject rawOperation(Operation operation) {
    return document.getJsonObject("paths").getJsonObject(operation.getOpenAPIPath())
        .getJsonObject(operation.getHttpMethod().name().toLowerCase());
  }

  private JsonObject rawParameter(Operation operation, Parameter parameter) {
    List<Object> declared = new ArrayList<>();
    JsonObject pathItem = document.getJsonObject("paths").getJsonObject(operation.getOpenAPIPath());
    pathItem.getJsonArray("parameters", new JsonArray()).forEach(declared::add);
    rawOperation(operation).getJsonArray("parameters", new JsonArray()).forEach(declared::add);
    for (Object entry : declared) {
      JsonObject resolved = resolve(entry);
      if (parameter.getName().equals(resolved.getString("name"))
          && parameter.getIn().name().equalsIgnoreCase(resolved.getString("in"))) {
        return resolved;
      }
    }
    throw new IllegalStateException("no parameter " + parameter.getName() + " in " + operation.getOperationId());
  }

  private JsonObject resolve(Object value) {
    if (!(value instanceof JsonObject object)) {
      return null;
    }
    if (!object.containsKey("$ref")) {
      return object;
    }
    Object node = document;
    for (String part : object.getString("$ref").substring(2).split("/")) {
      node = ((JsonObject) node).getValue(part);
    }
    return resolve(node);
  }

  /** vertx-openapi's answer: "valid", or the error's type and message. */
  private String stockVerdict(Operation operation, Drawn request) throws Exception {
    Map<String, RequestParameter> path = new HashMap<>();
    Map<String, RequestParameter> query = new HashMap<>();
    Map<String, RequestParameter> headers = new HashMap<>();
    request.path().forEach((name, value) -> path.put(name, new RequestParameterImpl(value)));
    request.query().forEach((name, value) -> query.put(name, new RequestParameterImpl(value)));
    request.headers().forEach((name, value) -> headers.put(name, new RequestParameterImpl(value)));
    boolean withBody = request.body() != null;
    ValidatableRequestImpl validatable = new ValidatableRequestImpl(Map.of(), headers, path, query,
        new RequestParameterImpl(withBody ? request.body().toBuffer() : null), withBody ? "application/json" : null);
    try {
      TestGateway.await(stock.validate(validatable, operation.getOperationId()));
      return "valid";
    } catch (ValidatorException invalid) {
      return invalid.type() + " " + invalid.getMessage();
    }
  }

}
