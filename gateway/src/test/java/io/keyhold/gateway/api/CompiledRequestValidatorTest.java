package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The compiled validator answers exactly what vertx-openapi's own answers, for every operation of the
 * document: the same requests pass with the same values, the same fail with the same error. Requests are
 * drawn at random (seeded, so a failure repeats) from the operation's own parameters and body fields,
 * filled with right and wrong values.
 */
class CompiledRequestValidatorTest {
  static final long SEED = 20261203L;
  static final int REQUESTS_PER_OPERATION = 200;
  static final List<Object> VALUES = List.of("", "a", "ord_1", "x".repeat(300), "a b", "2026-12-03T00:00:00Z",
      "EUR", "https://shop.example/v", 0, 1, -1, 7, 1_000_001, 2.5, true, false, new JsonObject(), new JsonArray(),
      new JsonArray().add("a"), new JsonObject().put("amount", "1.00").put("currency", "EUR"));

  static Vertx vertx;
  static OpenAPIContract contract;
  static RequestValidator stock;
  static CompiledRequestValidator compiled;

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    contract = TestGateway.await(OpenApiValidation.load(vertx)).contract();
    stock = RequestValidator.create(vertx, contract);
    compiled = new CompiledRequestValidator(vertx, contract);
  }

  @AfterAll
  static void close() throws Exception {
    TestGateway.await(vertx.close());
  }

  @Test
  void answersWhatVertxOpenapiAnswersForEveryOperation() throws Exception {
    Random random = new Random(SEED);
    int passed = 0;
    int failed = 0;
    for (Operation operation : contract.operations()) {
      for (int i = 0; i < REQUESTS_PER_OPERATION; i++) {
        ValidatableRequest request = randomRequest(operation, random);
        String expected = outcome(stock.validate(request, operation.getOperationId()));
        String actual = outcome(compiled.validate(request, operation.getOperationId()));
        assertThat(actual).as(operation.getOperationId() + " request " + i).isEqualTo(expected);
        if (expected.startsWith("valid")) {
          passed++;
        } else {
          failed++;
        }
      }
    }
    // Both kinds of answer must be compared, or the test proves little.
    assertThat(passed).as("requests both validators let through").isGreaterThan(100);
    assertThat(failed).as("requests both validators refused").isGreaterThan(100);
  }

  @Test
  void checksALargeBodyOffTheEventLoopWithTheSameAnswer() throws Exception {
    Operation upload = contract.operations().stream()
        .filter(operation -> operation.getRequestBody() != null)
        .findFirst().orElseThrow();
    JsonObject body = new JsonObject().put("padding", "x".repeat(CompiledRequestValidator.INLINE_BODY_BYTES_MAX));
    ValidatableRequest request = new ValidatableRequestImpl(Map.of(), Map.of(), pathParameters(upload), Map.of(),
        new RequestParameterImpl(body.toBuffer()), "application/json");
    assertThat(outcome(compiled.validate(request, upload.getOperationId())))
        .isEqualTo(outcome(stock.validate(request, upload.getOperationId())));
  }

  private static Map<String, RequestParameter> pathParameters(Operation operation) {
    Map<String, RequestParameter> path = new HashMap<>();
    for (Parameter parameter : operation.getParameters()) {
      if (parameter.getIn() == io.vertx.openapi.contract.Location.PATH) {
        path.put(parameter.getName(), new RequestParameterImpl("abc"));
      }
    }
    return path;
  }

  private static ValidatableRequest randomRequest(Operation operation, Random random) {
    Map<String, RequestParameter> cookies = new HashMap<>();
    Map<String, RequestParameter> headers = new HashMap<>();
    Map<String, RequestParameter> path = new HashMap<>();
    Map<String, RequestParameter> query = new HashMap<>();
    for (Parameter parameter : operation.getParameters()) {
      if (random.nextInt(5) == 0) {
        continue;
      }
      RequestParameter value = new RequestParameterImpl(String.valueOf(pick(random)));
      switch (parameter.getIn()) {
        case COOKIE -> cookies.put(parameter.getName(), value);
        case HEADER -> headers.put(parameter.getName(), value);
        case PATH -> path.put(parameter.getName(), value);
        case QUERY -> query.put(parameter.getName(), value);
      }
    }
    RequestParameter body = new RequestParameterImpl(null);
    String contentType = null;
    if (operation.getRequestBody() != null && random.nextInt(8) != 0) {
      Map.Entry<String, MediaType> media = operation.getRequestBody().getContent().entrySet().iterator().next();
      contentType = media.getKey();
      body = new RequestParameterImpl(randomBody(media.getValue().getSchema().fieldNames().contains("$ref")
          ? resolve(media.getValue().getSchema().get("$ref")) : new JsonObject(), random));
    }
    return new ValidatableRequestImpl(cookies, headers, path, query, body, contentType);
  }

  /** The properties of a referenced component schema, to fill bodies with the fields the API knows. */
  private static JsonObject resolve(String ref) {
    String name = ref.substring(ref.lastIndexOf('/') + 1);
    JsonObject schema = contract.getRawContract().getJsonObject("components").getJsonObject("schemas")
        .getJsonObject(name, new JsonObject());
    return schema.getJsonObject("properties", new JsonObject());
  }

  private static Buffer randomBody(JsonObject properties, Random random) {
    if (random.nextInt(20) == 0) {
      return Buffer.buffer(random.nextBoolean() ? "[]" : "{not json");
    }
    JsonObject body = new JsonObject();
    List<String> names = new ArrayList<>(properties.fieldNames());
    for (String name : names) {
      if (random.nextInt(4) != 0) {
        body.put(name, pick(random));
      }
    }
    if (random.nextInt(10) == 0) {
      body.put("unknown_field", pick(random));
    }
    return body.toBuffer();
  }

  private static Object pick(Random random) {
    return VALUES.get(random.nextInt(VALUES.size()));
  }

  /** The answer as text: the values let through, or the error's class, type and message. */
  private static String outcome(Future<ValidatedRequest> validation) throws Exception {
    try {
      ValidatedRequest validated = TestGateway.await(validation);
      return "valid " + values(validated.getPathParameters()) + values(validated.getQuery())
          + values(validated.getHeaders()) + values(validated.getCookies())
          + (validated.getBody() == null ? null : validated.getBody().get());
    } catch (ValidatorException invalid) {
      return invalid.getClass().getSimpleName() + " " + invalid.type() + " " + invalid.getMessage();
    }
  }

  private static String values(Map<String, RequestParameter> parameters) {
    Map<String, Object> plain = new java.util.TreeMap<>();
    parameters.forEach((name, value) -> plain.put(name, value == null ? null : value.get()));
    return plain.toString();
  }
}
