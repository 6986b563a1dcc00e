package io.keyhold.gateway.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileSystem;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.contract.SecurityRequirement;
import io.vertx.openapi.contract.SecurityScheme;
import io.vertx.openapi.contract.Server;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestValidatorImpl;
import io.vertx.openapi.validation.impl.ValidatedRequestImpl;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * vertx-openapi's request validator with its two costs at peak taken out, and its checks unchanged.
 *
 * <p>vertx-openapi 5.0 builds a new JSON Schema validator for every parameter and body of every request
 * (each build copies the whole schema lookup table; in the flash-sale profile that was the gateway's
 * top CPU item), and runs every validation as an ordered blocking task, so all requests of an event
 * loop wait for one worker in turn. Here each schema's validator is built once and kept (validators
 * hold no per-call state), and validation runs on the caller's thread, unless the body is large enough
 * to be worth a worker ({@link #INLINE_BODY_BYTES_MAX}); then on any free worker, unordered.
 */
final class CompiledRequestValidator extends RequestValidatorImpl {
  /** Bodies up to this size are checked on the event loop: a small JSON document checks in microseconds. */
  static final int INLINE_BODY_BYTES_MAX = 16 * 1024;

  private final Vertx vertx;

  CompiledRequestValidator(Vertx vertx, OpenAPIContract contract) {
    super(vertx, new CachedSchemas(contract));
    this.vertx = vertx;
  }

  @Override
  public Future<ValidatedRequest> validate(ValidatableRequest request, String operationId) {
    Operation operation = contract.operation(operationId);
    if (operation == null) {
      return Future.failedFuture(ValidatorException.createOperationIdInvalid(operationId));
    }
    RequestParameter body = request.getBody();
    int bodyBytes = body == null || body.isNull() ? 0 : body.getBuffer().length();
    if (bodyBytes <= INLINE_BODY_BYTES_MAX) {
      try {
        return Future.succeededFuture(check(request, operation));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    return vertx.executeBlocking(() -> check(request, operation), false);
  }

  /** Every declared parameter where the document puts it, then the body; throws on the first mismatch. */
  private ValidatedRequest check(ValidatableRequest request, Operation operation) {
    Map<String, RequestParameter> cookies = new HashMap<>();
    Map<String, RequestParameter> headers = new HashMap<>();
    Map<String, RequestParameter> path = new HashMap<>();
    Map<String, RequestParameter> query = new HashMap<>();
    for (Parameter parameter : operation.getParameters()) {
      Map<String, RequestParameter> given = switch (parameter.getIn()) {
        case COOKIE -> request.getCookies();
        case HEADER -> request.getHeaders();
        case PATH -> request.getPathParameters();
        case QUERY -> request.getQuery();
      };
      Map<String, RequestParameter> checked = switch (parameter.getIn()) {
        case COOKIE -> cookies;
        case HEADER -> headers;
        case PATH -> path;
        case QUERY -> query;
      };
      checked.put(parameter.getName(), validateParameter(parameter, given.get(parameter.getName())));
    }
    return new ValidatedRequestImpl(cookies, headers, path, query, validateBody(operation.getRequestBody(), request));
  }

  /** The contract as it is, but for its schema repository, which keeps each schema's validator. */
  private static final class CachedSchemas implements OpenAPIContract {
    private final OpenAPIContract contract;
    private final SchemaRepository schemas;

    CachedSchemas(OpenAPIContract contract) {
      this.contract = Objects.requireNonNull(contract, "contract");
      this.schemas = new CachedValidators(contract.getSchemaRepository());
    }

    @Override
    public SchemaRepository getSchemaRepository() {
      return schemas;
    }

    @Override
    public Operation operation(String operationId) {
      return contract.operation(operationId);
    }

    @Override
    public List<Operation> operations() {
      return contract.operations();
    }

    @Override
    public List<Path> getPaths() {
      return contract.getPaths();
    }

    @Override
    public JsonObject getRawContract() {
      return contract.getRawContract();
    }

    @Override
    public OpenAPIVersion getVersion() {
      return contract.getVersion();
    }

    @Override
    public List<Server> getServers() {
      return contract.getServers();
    }

    @Override
    public Path findPath(String urlPath) {
      return contract.findPath(urlPath);
    }

    @Override
    public Operation findOperation(String urlPath, HttpMethod method) {
      return contract.findOperation(urlPath, method);
    }

    @Override
    public List<SecurityRequirement> getSecurityRequirements() {
      return contract.getSecurityRequirements();
    }

    @Override
    public SecurityScheme securityScheme(String name) {
      return contract.securityScheme(name);
    }
  }

  /**
   * A schema as a map key by identity: the contract hands out the same object each time, and a schema's own
   * equals compares the whole document tree.
   */
  private record Identity(JsonSchema schema) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Identity that && that.schema == schema;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(schema);
    }
  }

  /**
   * One validator per schema object of the contract, built on first use. The contract's schemas are
   * fixed after loading, so the map holds at most one entry per schema in the document.
   */
  private static final class CachedValidators implements SchemaRepository {
    private final SchemaRepository schemas;
    private final Map<Identity, Validator> validators = new ConcurrentHashMap<>();

    CachedValidators(SchemaRepository schemas) {
      this.schemas = schemas;
    }

    @Override
    public Validator validator(JsonSchema schema) {
      return validators.computeIfAbsent(new Identity(schema), key -> schemas.validator(key.schema()));
    }

    @Override
    public SchemaRepository dereference(JsonSchema schema) {
      return schemas.dereference(schema);
    }

    @Override
    public SchemaRepository dereference(String uri, JsonSchema schema) {
      return schemas.dereference(uri, schema);
    }

    @Override
    public SchemaRepository preloadMetaSchema(FileSystem fs) {
      return schemas.preloadMetaSchema(fs);
    }

    @Override
    public SchemaRepository preloadMetaSchema(FileSystem fs, Draft draft) {
      return schemas.preloadMetaSchema(fs, draft);
    }

    @Override
    public Validator validator(String ref) {
      return schemas.validator(ref);
    }

    @Override
    public Validator validator(String ref, JsonSchemaOptions options) {
      return schemas.validator(ref, options);
    }

    @Override
    public Validator validator(JsonSchema schema, JsonSchemaOptions options, boolean dereference) {
      return schemas.validator(schema, options, dereference);
    }

    @Override
    public JsonObject resolve(JsonObject schema) {
      return schemas.resolve(schema);
    }

    @Override
    public JsonSchema find(String pointer) {
      return schemas.find(pointer);
    }
  }
}
