package io.keyhold.gateway.api;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.Operation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One operation of the API document compiled into a plain check of a request: its parameters (strings in the path,
 * the query or a header) and its JSON body, each through a {@link SchemaCheck}. A request it certainly accepts skips
 * vertx-openapi's validator, which for every request extracts the parameters again, parses the body a second time
 * and walks the schemas with an output tree (the top item of the gateway's CPU profile at peak); any other request
 * goes to that validator, which answers the problem as before.
 *
 * <p>An operation with anything outside this subset — a parameter of another type or place, a body other than
 * {@code application/json}, a schema keyword {@link SchemaCheck} does not compile — has no check
 * ({@link #compile} answers empty) and is validated as before.
 */
final class RequestCheck {
  private static final String JSON = "application/json";
  private static final String REF_PREFIX = "#/";
  /** Text that may be a JSON number, and more (a sign or a point first, an exponent, space around): the validator's. */
  private static final Pattern NUMBER_LIKE = Pattern.compile("\\s*[+-]?[0-9.][0-9.eE+-]*\\s*");

  /** A parameter as the document declares it, compiled. */
  private record Param(String name, String in, boolean required, SchemaCheck schema) {}

  private final List<Param> params;
  /** The body's check, or null when the operation takes no body. */
  private final SchemaCheck body;

  private RequestCheck(List<Param> params, SchemaCheck body) {
    this.params = List.copyOf(params);
    this.body = body;
  }

  /** The operation's check, or empty when it uses anything outside the compiled subset. */
  static Optional<RequestCheck> compile(JsonObject document, Operation operation) {
    JsonObject pathItem = document.getJsonObject("paths", new JsonObject()).getJsonObject(operation.getOpenAPIPath());
    if (pathItem == null) {
      return Optional.empty();
    }
    JsonObject raw = pathItem.getJsonObject(operation.getHttpMethod().name().toLowerCase(Locale.ROOT));
    if (raw == null) {
      return Optional.empty();
    }
    // Operation-level parameters override path-level ones of the same name and place.
    Map<String, JsonObject> declared = new LinkedHashMap<>();
    for (JsonArray list : new JsonArray[] {pathItem.getJsonArray("parameters"), raw.getJsonArray("parameters")}) {
      if (list == null) {
        continue;
      }
      for (Object entry : list) {
        JsonObject param = resolve(document, entry);
        if (param == null) {
          return Optional.empty();
        }
        declared.put(param.getString("in") + ":" + param.getString("name"), param);
      }
    }
    List<Param> params = new ArrayList<>();
    for (JsonObject param : declared.values()) {
      Optional<Param> compiled = param(document, param);
      if (compiled.isEmpty()) {
        return Optional.empty();
      }
      params.add(compiled.get());
    }
    SchemaCheck body = null;
    if (raw.containsKey("requestBody")) {
      JsonObject requestBody = resolve(document, raw.getValue("requestBody"));
      JsonObject content = requestBody == null ? null : requestBody.getJsonObject("content");
      if (content == null || content.size() != 1 || !(content.getValue(JSON) instanceof JsonObject media)
          || !media.containsKey("schema")) {
        return Optional.empty();
      }
      Optional<SchemaCheck> compiled = SchemaCheck.compile(media.getValue("schema"), ref -> lookUp(document, ref));
      if (compiled.isEmpty()) {
        return Optional.empty();
      }
      body = compiled.get();
    }
    return Optional.of(new RequestCheck(params, body));
  }

  private static Optional<Param> param(JsonObject document, JsonObject param) {
    String in = param.getString("in");
    String name = param.getString("name");
    boolean plain = name != null && ("path".equals(in) || "query".equals(in) || "header".equals(in))
        && !param.containsKey("content") && !param.containsKey("style") && !param.containsKey("explode")
        && !param.containsKey("allowReserved") && !param.containsKey("allowEmptyValue");
    JsonObject schema = plain ? resolve(document, param.getValue("schema")) : null;
    // Only strings: any other type is converted from text by rules of its own, which stay vertx-openapi's.
    if (schema == null || !"string".equals(schema.getValue("type"))) {
      return Optional.empty();
    }
    return SchemaCheck.compile(schema, ref -> lookUp(document, ref))
        .map(check -> new Param(name, in, Boolean.TRUE.equals(param.getValue("required")), check));
  }

  /** A request's parameters as text, by place ({@code path}, {@code query}, {@code header}) and name. */
  @FunctionalInterface
  interface Values {
    /** The values sent (empty when none), or null when they cannot be read plainly: then the validator judges. */
    List<String> of(String in, String name);
  }

  /** The parameters of a request served by Vert.x Web; escapes, a trailing slash and odd queries read as null. */
  static Values of(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String path = request.path();
    String query = request.query();
    // Escapes and a trailing slash are read by rules of vertx-openapi's own; such requests go to it.
    boolean plainPath = path.indexOf('%') < 0 && !path.endsWith("/");
    boolean plainQuery = query == null || query.indexOf('%') < 0 && query.indexOf('+') < 0;
    return (in, name) -> switch (in) {
      case "path" -> {
        String value = plainPath ? ctx.pathParam(name) : null;
        yield value == null ? null : List.of(value);
      }
      case "query" -> plainQuery ? ctx.queryParam(name) : null;
      default -> request.headers().getAll(name);
    };
  }

  /**
   * Whether the document certainly accepts a request with these parameters and this body (the JSON object
   * {@link Endpoints} parsed, or null for a request without one).
   */
  boolean certainlyAccepts(Values values, JsonObject parsedBody) {
    for (Param param : params) {
      List<String> sent = values.of(param.in(), param.name());
      // Repeats, empty values and, outside a header, commas (a list's separator in the path's and the query's
      // styles) are the validator's. A header is one string to it, commas and all (a signature's "t=..,v1=..").
      if (sent == null || sent.size() > 1 || sent.size() == 1 && (sent.get(0).isEmpty()
          || sent.get(0).indexOf(',') >= 0 && !"header".equals(param.in()))) {
        return false;
      }
      if (sent.isEmpty() ? param.required() : mayReadAsOtherThanItself(sent.get(0))
          || !param.schema().certainlyAccepts(sent.get(0))) {
        return false;
      }
    }
    return body == null || parsedBody != null && body.certainlyAccepts(parsedBody);
  }

  /**
   * Whether vertx-openapi may read the text as something else than this very string. It reads a string parameter
   * as JSON first (a header {@code 1.0} is the number 1.0 to it, which a string parameter refuses), and text that
   * is no JSON as a JSON string in quotes (where a backslash is an escape and a control character breaks it).
   * Such values are left to it; anything else, such as a key {@code 1f3a9c2e-checkout-7} (no JSON: a number does
   * not go on with letters), it reads as itself.
   */
  private static boolean mayReadAsOtherThanItself(String text) {
    char first = text.charAt(0);
    if (first == '[' || first == '{' || NUMBER_LIKE.matcher(text).matches()
        || "true".equals(text) || "false".equals(text) || "null".equals(text)) {
      return true;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\' || c < ' ') {
        return true;
      }
    }
    return false;
  }

  /** {@code value}, or what its {@code $ref} names in the document; null for a ref outside it. */
  private static JsonObject resolve(JsonObject document, Object value) {
    if (!(value instanceof JsonObject object)) {
      return null;
    }
    if (object.containsKey("$ref") && object.size() == 1) {
      return lookUp(document, object.getString("$ref"));
    }
    return object;
  }

  /** The object a local {@code $ref} ({@code #/components/schemas/Name}) points at, or null. */
  private static JsonObject lookUp(JsonObject document, String ref) {
    if (ref == null || !ref.startsWith(REF_PREFIX)) {
      return null;
    }
    Object node = document;
    for (String part : ref.substring(REF_PREFIX.length()).split("/")) {
      String name = part.replace("~1", "/").replace("~0", "~");
      node = node instanceof JsonObject object ? object.getValue(name) : null;
    }
    return node instanceof JsonObject found ? found : null;
  }
}
