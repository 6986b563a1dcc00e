package io.keyhold.gateway.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A JSON Schema of the API document compiled into a plain checker, for the requests served at peak.
 *
 * <p>It says yes only for a value the document's schema certainly accepts, and no for anything else — a value
 * the schema rejects, or one it cannot judge the way vertx-json-schema would (a number written as a fraction where
 * an integer is asked, a string with surrogate pairs under a length limit). Only a yes skips the full validator;
 * every no goes to it, so problems are reported exactly as before and the document stays the one judge. {@code RequestChecksAgreementTest}
 * holds the one promise this class makes: what it accepts, the full validator accepts.
 *
 * <p>A schema using a keyword outside the subset below does not compile ({@link #compile} answers empty): its
 * operation keeps the full validator alone.
 */
final class SchemaCheck {
  /** Keywords that only annotate: they never change what a schema accepts. */
  private static final Set<String> ANNOTATIONS = Set.of("description", "title", "default", "example", "examples",
      "readOnly", "writeOnly", "deprecated", "$comment", "externalDocs", "xml", "discriminator");
  /** Nesting of {@code $ref}s followed while compiling, at most (the document's deepest is 4). */
  static final int REF_DEPTH_MAX = 32;
  /** RFC 3339 {@code date-time} as every validator reads it: seconds and an offset present. */
  private static final Pattern DATE_TIME = Pattern.compile(
      "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$");
  private static final Pattern DATE = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}$");

  @FunctionalInterface
  private interface Check {
    boolean accepts(Object value);
  }

  private final Check check;

  private SchemaCheck(Check check) {
    this.check = check;
  }

  /** Whether the schema certainly accepts {@code value} (a JSON value as Vert.x parses it). */
  boolean certainlyAccepts(Object value) {
    return check.accepts(value);
  }

  /**
   * Compiles {@code schema}; {@code refs} resolves a {@code $ref} of the document ({@code #/components/...}) or
   * answers null. Empty when the schema uses a keyword or form this class does not compile.
   */
  static Optional<SchemaCheck> compile(Object schema, Function<String, JsonObject> refs) {
    Objects.requireNonNull(refs, "refs");
    try {
      return Optional.of(new SchemaCheck(new Compiler(refs).compile(schema, 0)));
    } catch (Unsupported e) {
      return Optional.empty();
    }
  }

  /** Thrown while compiling a schema outside the subset. */
  private static final class Unsupported extends RuntimeException {
    Unsupported(String what) {
      super(what, null, false, false);
    }
  }

  private static final class Compiler {
    private final Function<String, JsonObject> refs;
    /** Refs compiled once each; also what makes a recursive ref terminate. */
    private final Map<String, Check[]> compiledRefs = new HashMap<>();

    Compiler(Function<String, JsonObject> refs) {
      this.refs = refs;
    }

    Check compile(Object schema, int depth) {
      if (depth > REF_DEPTH_MAX) {
        throw new Unsupported("refs nested deeper than " + REF_DEPTH_MAX);
      }
      if (Boolean.TRUE.equals(schema)) {
        return value -> true;
      }
      if (Boolean.FALSE.equals(schema)) {
        return value -> false;
      }
      if (!(schema instanceof JsonObject object)) {
        throw new Unsupported("schema is not an object");
      }
      List<Check> all = new ArrayList<>();
      for (String keyword : object.fieldNames()) {
        if (ANNOTATIONS.contains(keyword)) {
          continue;
        }
        Object arg = object.getValue(keyword);
        Check one = switch (keyword) {
          case "$ref" -> ref(stringArg(keyword, arg), depth);
          case "type" -> type(arg);
          case "enum" -> oneOfValues(arrayArg(keyword, arg));
          case "const" -> oneOfValues(new JsonArray().add(arg));
          case "properties", "required", "additionalProperties", "minProperties", "maxProperties" -> null;
          case "items" -> items(compile(arg, depth + 1));
          case "minItems" -> arrayBound(intArg(keyword, arg), true);
          case "maxItems" -> arrayBound(intArg(keyword, arg), false);
          case "minLength" -> stringLength(intArg(keyword, arg), true);
          case "maxLength" -> stringLength(intArg(keyword, arg), false);
          case "pattern" -> pattern(Pattern.compile(stringArg(keyword, arg)));
          case "format" -> format(stringArg(keyword, arg));
          case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" -> bound(keyword, numberArg(keyword, arg));
          case "allOf" -> allOf(compileAll(arrayArg(keyword, arg), depth));
          case "anyOf" -> anyOf(compileAll(arrayArg(keyword, arg), depth));
          case "if", "then", "else" -> null;
          // Among the rest, "oneOf": "exactly one" needs a certain no from every other branch, which a check that
          // may only be unsure cannot give. Such schemas keep the full validator.
          default -> throw new Unsupported("keyword " + keyword);
        };
        if (one != null) {
          all.add(one);
        }
      }
      if (object.containsKey("properties") || object.containsKey("required")
          || object.containsKey("additionalProperties") || object.containsKey("minProperties")
          || object.containsKey("maxProperties")) {
        all.add(objectShape(object, depth));
      }
      // Without an "if", "then" and "else" are ignored by the specification.
      if (object.containsKey("if")) {
        all.add(conditional(object, depth));
      }
      return allOf(all);
    }

    private List<Check> compileAll(JsonArray schemas, int depth) {
      List<Check> checks = new ArrayList<>();
      for (Object schema : schemas) {
        checks.add(compile(schema, depth + 1));
      }
      return checks;
    }

    private Check ref(String ref, int depth) {
      Check[] slot = compiledRefs.get(ref);
      if (slot == null) {
        JsonObject target = refs.apply(ref);
        if (target == null) {
          throw new Unsupported("ref " + ref);
        }
        Check[] fresh = new Check[1];
        compiledRefs.put(ref, fresh);
        fresh[0] = compile(target, depth + 1);
        slot = fresh;
      }
      Check[] resolved = slot;
      return value -> resolved[0].accepts(value);
    }

    private Check objectShape(JsonObject schema, int depth) {
      Map<String, Check> properties = new LinkedHashMap<>();
      JsonObject declared = schema.getValue("properties") == null ? new JsonObject()
          : objectArg("properties", schema.getValue("properties"));
      for (String name : declared.fieldNames()) {
        properties.put(name, compile(declared.getValue(name), depth + 1));
      }
      List<String> required = new ArrayList<>();
      if (schema.containsKey("required")) {
        for (Object name : arrayArg("required", schema.getValue("required"))) {
          required.add(stringArg("required", name));
        }
      }
      Object additionalSchema = schema.getValue("additionalProperties");
      Check additional = additionalSchema == null ? null : compile(additionalSchema, depth + 1);
      int minProperties = schema.containsKey("minProperties") ? intArg("minProperties", schema.getValue("minProperties")) : 0;
      int maxProperties = schema.containsKey("maxProperties") ? intArg("maxProperties", schema.getValue("maxProperties"))
          : Integer.MAX_VALUE;
      return value -> {
        if (!(value instanceof JsonObject object)) {
          return true;
        }
        if (object.size() < minProperties || object.size() > maxProperties) {
          return false;
        }
        for (String name : required) {
          if (!object.containsKey(name)) {
            return false;
          }
        }
        for (Map.Entry<String, Object> field : object) {
          Check property = properties.get(field.getKey());
          Check applies = property != null ? property : additional;
          if (applies != null && !applies.accepts(field.getValue())) {
            return false;
          }
        }
        return true;
      };
    }

    private Check conditional(JsonObject schema, int depth) {
      Check condition = compile(schema.getValue("if"), depth + 1);
      Check then = schema.containsKey("then") ? compile(schema.getValue("then"), depth + 1) : value -> true;
      Check otherwise = schema.containsKey("else") ? compile(schema.getValue("else"), depth + 1) : value -> true;
      // "Not accepted" by a compiled check may mean "unsure", so a failed "if" cannot pick the "else" branch:
      // both branches must accept when the condition did not certainly hold.
      return value -> condition.accepts(value) ? then.accepts(value) : then.accepts(value) && otherwise.accepts(value);
    }

    private static Check type(Object arg) {
      List<String> types = new ArrayList<>();
      if (arg instanceof String one) {
        types.add(one);
      } else if (arg instanceof JsonArray many) {
        many.forEach(type -> types.add(stringArg("type", type)));
      } else {
        throw new Unsupported("type " + arg);
      }
      List<Check> accepted = new ArrayList<>();
      for (String type : types) {
        accepted.add(switch (type) {
          case "object" -> value -> value instanceof JsonObject;
          case "array" -> value -> value instanceof JsonArray;
          case "string" -> value -> value instanceof String;
          case "boolean" -> value -> value instanceof Boolean;
          case "null" -> Objects::isNull;
          case "integer" -> Compiler::isWholeNumber;
          case "number" -> value -> isWholeNumber(value) || value instanceof Double || value instanceof Float
              || value instanceof BigDecimal;
          default -> throw new Unsupported("type " + type);
        });
      }
      return anyOf(accepted);
    }

    /** An integer as parsed from JSON; a fraction such as {@code 1.0} is left to the full validator. */
    private static boolean isWholeNumber(Object value) {
      return value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
          || value instanceof BigInteger;
    }

    private static Check oneOfValues(JsonArray values) {
      List<Object> allowed = new ArrayList<>();
      for (Object value : values) {
        if (!(value instanceof String || value instanceof Boolean || value == null)) {
          // Numbers and structures compare by JSON equality, which Java equality does not match; not compiled.
          throw new Unsupported("enum or const of " + value);
        }
        allowed.add(value);
      }
      return value -> allowed.contains(value);
    }

    private static Check items(Check item) {
      return value -> {
        if (!(value instanceof JsonArray array)) {
          return true;
        }
        for (Object element : array) {
          if (!item.accepts(element)) {
            return false;
          }
        }
        return true;
      };
    }

    private static Check arrayBound(int limit, boolean minimum) {
      return value -> !(value instanceof JsonArray array) || (minimum ? array.size() >= limit : array.size() <= limit);
    }

    private static Check stringLength(int limit, boolean minimum) {
      return value -> {
        if (!(value instanceof String text)) {
          return true;
        }
        for (int i = 0; i < text.length(); i++) {
          if (Character.isSurrogate(text.charAt(i))) {
            // Validators count surrogate pairs differently (code points, or UCS-2 units); leave it to the full one.
            return false;
          }
        }
        return minimum ? text.length() >= limit : text.length() <= limit;
      };
    }

    private static Check pattern(Pattern pattern) {
      // Unanchored, as JSON Schema's "pattern" and vertx-json-schema (Matcher.find) read it.
      return value -> !(value instanceof String text) || pattern.matcher(text).find();
    }

    private static Check format(String format) {
      return switch (format) {
        case "date-time" -> value -> !(value instanceof String text) || isDateTime(text);
        case "date" -> value -> !(value instanceof String text) || isDate(text);
        case "int64" -> value -> !(value instanceof Number) || value instanceof Integer || value instanceof Long;
        case "int32" -> value -> !(value instanceof Number) || value instanceof Integer;
        default -> throw new Unsupported("format " + format);
      };
    }

    private static boolean isDateTime(String text) {
      if (!DATE_TIME.matcher(text).matches()) {
        return false;
      }
      try {
        OffsetDateTime.parse(text);
        return true;
      } catch (DateTimeParseException e) {
        return false;
      }
    }

    private static boolean isDate(String text) {
      if (!DATE.matcher(text).matches()) {
        return false;
      }
      try {
        LocalDate.parse(text);
        return true;
      } catch (DateTimeParseException e) {
        return false;
      }
    }

    private static Check bound(String keyword, BigDecimal limit) {
      return value -> {
        if (!(value instanceof Number number)) {
          return true;
        }
        if (!isWholeNumber(number)) {
          return false;
        }
        int order = new BigDecimal(number.toString()).compareTo(limit);
        return switch (keyword) {
          case "minimum" -> order >= 0;
          case "maximum" -> order <= 0;
          case "exclusiveMinimum" -> order > 0;
          default -> order < 0;
        };
      };
    }

    private static Check allOf(List<Check> list) {
      Check[] checks = list.toArray(Check[]::new);
      return value -> {
        for (Check c : checks) {
          if (!c.accepts(value)) {
            return false;
          }
        }
        return true;
      };
    }

    private static Check anyOf(List<Check> list) {
      Check[] checks = list.toArray(Check[]::new);
      return value -> {
        for (Check c : checks) {
          if (c.accepts(value)) {
            return true;
          }
        }
        return false;
      };
    }

    private static String stringArg(String keyword, Object arg) {
      if (!(arg instanceof String text)) {
        throw new Unsupported(keyword + " takes a string");
      }
      return text;
    }

    private static JsonArray arrayArg(String keyword, Object arg) {
      if (!(arg instanceof JsonArray array)) {
        throw new Unsupported(keyword + " takes an array");
      }
      return array;
    }

    private static JsonObject objectArg(String keyword, Object arg) {
      if (!(arg instanceof JsonObject object)) {
        throw new Unsupported(keyword + " takes an object");
      }
      return object;
    }

    private static int intArg(String keyword, Object arg) {
      if (!(arg instanceof Integer number) || number < 0) {
        throw new Unsupported(keyword + " takes a non-negative integer");
      }
      return number;
    }

    private static BigDecimal numberArg(String keyword, Object arg) {
      if (!(arg instanceof Number number)) {
        throw new Unsupported(keyword + " takes a number");
      }
      return new BigDecimal(number.toString());
    }
  }
}
