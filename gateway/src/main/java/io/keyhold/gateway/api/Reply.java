package io.keyhold.gateway.api;

import io.keyhold.gateway.store.Range;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Objects;

/**
 * An answer a handler returns: status, content type, body and extra headers. Replies go through
 * {@link Endpoints}, which records them for Idempotency-Key replays before sending.
 *
 * @param status HTTP status
 * @param contentType the Content-Type
 * @param body the body bytes
 * @param headers extra headers (such as Location); no secrets
 */
public record Reply(int status, String contentType, Buffer body, Map<String, String> headers) {
  public static final String JSON = "application/json";

  public Reply {
    Range.check("status", status, 100, 599);
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
    headers = Map.copyOf(headers);
  }

  public static Reply json(int status, JsonObject body) {
    return new Reply(status, JSON, body.toBuffer(), Map.of());
  }

  public static Reply ok(JsonObject body) {
    return json(200, body);
  }

  /** 201 with a Location header. */
  public static Reply created(JsonObject body, String location) {
    return new Reply(201, JSON, body.toBuffer(), Map.of("Location", location));
  }

  public static Reply problem(Problem problem, String instance) {
    return new Reply(problem.status(), Problem.CONTENT_TYPE, problem.toJson(instance).toBuffer(), Map.of());
  }

  @Override
  public String toString() {
    // The body may hold a secret shown once (a new API key): never print it.
    return "Reply[" + status + " " + contentType + ", " + body.length() + " bytes]";
  }
}
