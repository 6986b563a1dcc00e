package io.keyhold.adapters.testing;

import io.keyhold.adapters.contract.Await;
import io.keyhold.adapters.signature.Signatures;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * A real HTTP server on 127.0.0.1 whose answers a test writes by hand, correctly signed, for protocol
 * violations the reference merchant does not produce (units nobody asked for, a hold longer than
 * asked, a verdict that does not exist). The script gets the request and returns the answer.
 */
public final class ScriptedShop implements AutoCloseable {

  /** What the shop answers: a status and a raw body. */
  public record Answer(int status, Buffer body) {
    public static Answer json(int status, JsonObject body) {
      return new Answer(status, body.toBuffer());
    }
  }

  private final HttpServer server;

  private ScriptedShop(HttpServer server) {
    this.server = server;
  }

  /** Starts the shop; answers are signed with {@code secret}. */
  public static ScriptedShop start(Vertx vertx, String secret, Function<JsonObject, Answer> script) {
    Signatures signatures = Signatures.builder().secret(secret).build();
    HttpServer server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      Answer answer = script.apply(body.toJsonObject());
      request.response()
          .setStatusCode(answer.status())
          .putHeader("Content-Type", "application/json")
          .putHeader(Signatures.HEADER, signatures.sign(answer.body()))
          .end(answer.body());
    }));
    return new ScriptedShop(Await.result(server.listen(0, "127.0.0.1")));
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  @Override
  public void close() {
    Await.result(server.close());
  }
}
