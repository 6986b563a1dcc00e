package io.keyhold.simulator.testing;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on 127.0.0.1 answering what a test tells it to. It stands in for gateway answers
 * the real gateway cannot be made to give on purpose (a broken invariant, an overload at a chosen
 * moment, a lost event stream). It records every request it got.
 */
public final class FakeGateway implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final List<Seen> requests = new CopyOnWriteArrayList<>();
  private HttpServer server;

  /** One request: method, path with query, and the headers a test may look at ({@code Keyhold-Ticket}: ticket). */
  public record Seen(String method, String uri, String authorization, String idempotencyKey, String ticket) {}

  private FakeGateway() {}

  public static FakeGateway start(Handler<HttpServerRequest> handler) throws Exception {
    return startOn(0, handler);
  }

  /** On {@code port} (0: any free one), e.g. a port a test kept closed until now. */
  public static FakeGateway startOn(int port, Handler<HttpServerRequest> handler) throws Exception {
    FakeGateway fake = new FakeGateway();
    fake.server = fake.vertx.createHttpServer().requestHandler(request -> {
      fake.requests.add(new Seen(request.method().name(), request.uri(), request.getHeader("Authorization"),
          request.getHeader("Idempotency-Key"), request.getHeader("Keyhold-Ticket")));
      handler.handle(request);
    }).listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return fake;
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  public List<Seen> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the fake gateway did not stop", e);
    }
  }
}
