package io.keyhold.gateway.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * An RFC 9457 problem: {@code type}, {@code title}, {@code status}, {@code detail}, plus Keyhold's
 * stable {@code code} and optional extension members (such as {@code errors}). Immutable.
 *
 * <p>Raise one from any handler with {@code throw new ProblemException(Problem.of(...))} or a
 * failed future holding a {@link ProblemException}; {@link Problems} renders it.
 */
public final class Problem {
  public static final String CONTENT_TYPE = "application/problem+json";

  private final ProblemCode code;
  private final String detail;
  private final JsonObject extensions;

  private Problem(ProblemCode code, String detail, JsonObject extensions) {
    this.code = Objects.requireNonNull(code, "code");
    this.detail = Objects.requireNonNull(detail, "detail");
    this.extensions = extensions;
  }

  public static Problem of(ProblemCode code, String detail) {
    return new Problem(code, detail, new JsonObject());
  }

  public static Problem of(ProblemCode code) {
    return of(code, code.title());
  }

  /** A {@code validation_failed} problem listing every field error. */
  public static Problem invalid(List<FieldError> errors) {
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a validation problem needs at least one field error");
    }
    JsonArray array = new JsonArray();
    errors.forEach(error -> array.add(error.toJson()));
    String detail = errors.size() == 1
        ? errors.get(0).field() + ": " + errors.get(0).message()
        : errors.size() + " fields are invalid; see errors";
    return of(ProblemCode.VALIDATION_FAILED, detail).with("errors", array);
  }

  /** A copy with one more extension member. */
  public Problem with(String name, Object value) {
    if (List.of("type", "title", "status", "detail", "code", "instance").contains(name)) {
      throw new IllegalArgumentException("'" + name + "' is a standard problem member, not an extension");
    }
    return new Problem(code, detail, extensions.copy().put(name, value));
  }

  public ProblemCode code() {
    return code;
  }

  public int status() {
    return code.status();
  }

  public String detail() {
    return detail;
  }

  /** The JSON body; {@code instance} is the request path. */
  public JsonObject toJson(String instance) {
    JsonObject json = new JsonObject()
        .put("type", code.type())
        .put("title", code.title())
        .put("status", code.status())
        .put("code", code.code())
        .put("detail", detail);
    if (instance != null) {
      json.put("instance", instance);
    }
    extensions.forEach(entry -> json.put(entry.getKey(), entry.getValue()));
    return json;
  }

  @Override
  public String toString() {
    return "Problem[" + code.code() + "]";
  }
}
