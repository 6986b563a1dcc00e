package io.keyhold.gateway.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Validates requests against the OpenAPI document {@code classpath:openapi.yaml} (the same document
 * served at {@code /openapi.yaml}), per operation id, with vertx-openapi's {@link RequestValidator} (its schemas
 * compiled once: {@link CompiledRequestValidator}). A request an operation's {@link RequestCheck} (the same document
 * compiled into plain checks) certainly accepts goes on without it; every other request is judged by it.
 * A request that does not match answers {@code validation_failed} with field-level errors mapped
 * from the JSON Schema output.
 *
 * <p>The document is the contract; handlers still read bodies with {@link JsonInput}, which adds the
 * checks a schema cannot express (a currency that exists, a regex that compiles).
 */
public final class OpenApiValidation {
  public static final String RESOURCE = "openapi.yaml";
  /** The document is ours and small; a bound keeps a broken build from loading something huge. */
  public static final int DOCUMENT_BYTES_MAX = 1 << 20;

  private static final Set<String> STRUCTURAL_KEYWORDS = Set.of("properties", "patternProperties", "items",
      "prefixItems", "$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
      "dependentSchemas", "contains", "unevaluatedItems");
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");

  private final OpenAPIContract contract;
  private final RequestValidator validator;
  private final Buffer document;
  /** The document as requests are validated against it ({@link #requestsOnly}), for the compiled checks. */
  private final JsonObject requests;

  private OpenApiValidation(OpenAPIContract contract, RequestValidator validator, Buffer document, JsonObject requests) {
    this.contract = contract;
    this.validator = validator;
    this.document = document;
    this.requests = requests;
  }

  /** Loads and checks the document; the YAML read runs on a worker thread. */
  public static Future<OpenApiValidation> load(Vertx vertx) {
    return vertx.executeBlocking(OpenApiValidation::readDocument)
        .compose(yaml -> {
          JsonObject json = requestsOnly(parse(yaml));
          return OpenAPIContract.from(vertx, json.copy())
              .map(contract -> new OpenApiValidation(contract, new CompiledRequestValidator(vertx, contract),
                  Buffer.buffer(yaml), json));
        });
  }

  private static String readDocument() throws IOException {
    try (InputStream in = OpenApiValidation.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IOException(RESOURCE + " is missing from the classpath");
      }
      byte[] bytes = in.readNBytes(DOCUMENT_BYTES_MAX + 1);
      if (bytes.length > DOCUMENT_BYTES_MAX) {
        throw new IOException(RESOURCE + " is larger than " + DOCUMENT_BYTES_MAX + " bytes");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static JsonObject parse(String yaml) {
    Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    if (!(tree instanceof Map<?, ?>)) {
      throw new IllegalStateException(RESOURCE + " is not a YAML mapping");
    }
    // Through text once, so nested maps and lists become JsonObject and JsonArray all the way down.
    return new JsonObject(Json.encode(tree));
  }

  /**
   * A copy of the document keeping what requests are validated against. vertx-openapi 5.0 refuses
   * response media types it cannot analyse (such as {@code application/problem+json}), and answers
   * are not validated at run time, so each operation's responses are replaced by a bare default. It
   * also wants absolute server URLs, while the document's one is relative to wherever it is served;
   * requests are matched by operation, so the servers go.
   */
  static JsonObject requestsOnly(JsonObject document) {
    JsonObject copy = document.copy();
    copy.remove("servers");
    JsonObject paths = copy.getJsonObject("paths", new JsonObject());
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject operation && operation.containsKey("responses")) {
          operation.put("responses", new JsonObject().put("default", new JsonObject().put("description", "see document")));
        }
      }
    }
    copy.getJsonObject("components", new JsonObject()).remove("responses");
    return copy;
  }

  /** The document as served at {@code /openapi.yaml}. */
  public Buffer document() {
    return document;
  }

  public OpenAPIContract contract() {
    return contract;
  }

  /**
   * A handler validating the request against {@code operationId}; fails loudly now when the
   * document has no such operation, so a route cannot drift from the document silently.
   */
  public Handler<RoutingContext> handler(String operationId) {
    Operation operation = contract.operation(operationId);
    if (operation == null) {
      throw new IllegalArgumentException(RESOURCE + " has no operation '" + operationId + "'");
    }
    RequestCheck compiled = RequestCheck.compile(requests, operation).orElse(null);
    return ctx -> {
      if (compiled != null && compiled.certainlyAccepts(RequestCheck.of(ctx), ctx.get(Endpoints.BODY))) {
        ctx.next();
        return;
      }
      RequestUtils.extract(ctx.request(), operation, () -> Future.succeededFuture(body(ctx)))
          .compose(request -> validator.validate(request, operationId))
          .onSuccess(validated -> ctx.next())
          .onFailure(ctx::fail);
    };
  }

  /** The document as requests are validated against it (a copy: the tests draw requests from it). */
  JsonObject requestDocument() {
    return requests.copy();
  }

  /** Whether requests of {@code operationId} are checked by a compiled {@link RequestCheck} before the validator. */
  boolean compiled(String operationId) {
    Operation operation = contract.operation(operationId);
    return operation != null && RequestCheck.compile(requests, operation).isPresent();
  }

  private static Buffer body(RoutingContext ctx) {
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    return body == null ? Buffer.buffer() : body;
  }

  /** Maps a validator failure to a {@code validation_failed} problem with field errors. */
  static Problem toProblem(ValidatorException invalid) {
    List<FieldError> errors = new ArrayList<>();
    if (invalid instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      List<FieldError> raw = new ArrayList<>();
      collect(schema.getOutputUnit(), raw, where(invalid));
      errors.addAll(mostSpecific(raw));
    }
    if (errors.isEmpty()) {
      FieldError.Code code = invalid.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER
          ? FieldError.Code.MISSING
          : FieldError.Code.INVALID_VALUE;
      errors.add(new FieldError(where(invalid), code, "does not match the API document"));
    }
    return Problem.invalid(errors);
  }

  /** Which input a validator message is about: {@code path:id}, {@code query:state} or the body. */
  private static String where(ValidatorException invalid) {
    String message = invalid.getMessage() == null ? "" : invalid.getMessage();
    Matcher parameter = Pattern.compile("(path|query|header|cookie) parameter (\\S+?)[:.,\\s]").matcher(message + " ");
    if (parameter.find()) {
      return parameter.group(1) + ":" + parameter.group(2);
    }
    return "";
  }

  /**
   * One error per field and code; {@code unknown_field} only for fields with no other error, on them or
   * inside them (the schema output also flags declared fields that failed their own schema).
   */
  private static List<FieldError> mostSpecific(List<FieldError> raw) {
    Set<String> seen = new LinkedHashSet<>();
    Set<String> fieldsWithOtherErrors = new HashSet<>();
    raw.stream().filter(e -> e.code() != FieldError.Code.UNKNOWN_FIELD).forEach(e -> fieldsWithOtherErrors.add(e.field()));
    List<FieldError> kept = new ArrayList<>();
    for (FieldError error : raw) {
      if (error.code() == FieldError.Code.UNKNOWN_FIELD && fieldsWithOtherErrors.stream()
          .anyMatch(field -> field.equals(error.field()) || field.startsWith(error.field() + "/"))) {
        continue;
      }
      if (seen.add(error.field() + " " + error.code())) {
        kept.add(error);
      }
    }
    return kept;
  }

  private static void collect(OutputUnit unit, List<FieldError> errors, String base) {
    List<OutputUnit> children = unit.getErrors();
    if (children != null && !children.isEmpty()) {
      children.forEach(child -> collect(child, errors, base));
      return;
    }
    String keywordLocation = unit.getKeywordLocation() == null ? "" : unit.getKeywordLocation();
    String keyword = keywordLocation.substring(keywordLocation.lastIndexOf('/') + 1);
    if (STRUCTURAL_KEYWORDS.contains(keyword)) {
      // Reported because a member failed; the member's own error says what is wrong.
      return;
    }
    String instance = unit.getInstanceLocation() == null ? "" : unit.getInstanceLocation().replaceFirst("^#", "");
    String field = base.isEmpty() ? instance : base + instance;
    FieldError.Code code;
    String message;
    switch (keyword) {
      case "required" -> {
        Matcher name = QUOTED.matcher(unit.getError() == null ? "" : unit.getError());
        field = field + "/" + (name.find() ? name.group(1) : "?");
        code = FieldError.Code.MISSING;
        message = "is required";
      }
      case "type" -> {
        code = FieldError.Code.WRONG_TYPE;
        message = "has the wrong type";
      }
      case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" -> {
        code = FieldError.Code.OUT_OF_RANGE;
        message = "is out of range";
      }
      case "minLength" -> {
        code = FieldError.Code.TOO_SHORT;
        message = "is too short";
      }
      case "maxLength" -> {
        code = FieldError.Code.TOO_LONG;
        message = "is too long";
      }
      case "minItems", "minProperties" -> {
        code = FieldError.Code.TOO_FEW;
        message = "has too few elements";
      }
      case "maxItems", "maxProperties" -> {
        code = FieldError.Code.TOO_MANY;
        message = "has too many elements";
      }
      case "additionalProperties", "unevaluatedProperties" -> {
        code = FieldError.Code.UNKNOWN_FIELD;
        message = "has a field the API does not know";
      }
      case "pattern", "format" -> {
        code = FieldError.Code.INVALID_FORMAT;
        message = "has the wrong format";
      }
      default -> {
        code = FieldError.Code.INVALID_VALUE;
        message = "is not a valid value";
      }
    }
    errors.add(new FieldError(field.isEmpty() ? "/" : field, code, message));
  }
}
