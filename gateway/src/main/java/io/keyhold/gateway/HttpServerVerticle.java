package io.keyhold.gateway;

import io.keyhold.gateway.api.Problems;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One of the gateway's HTTP servers. {@link Gateway} deploys {@link GatewayConfig#httpInstances()} of them,
 * each on an event loop of its own and all on the same host and port: Vert.x binds the port once and hands
 * each new connection to the next server, so requests are served on every core rather than on one event loop.
 *
 * <p>They share one {@link Router}. vertx-web's router is thread-safe (its routes are an immutable state,
 * replaced whole when a route is added), and what its handlers reach is safe to use from several event loops
 * at once; one router per instance would change nothing there, since the services behind the routes are
 * shared either way.
 */
final class HttpServerVerticle extends VerticleBase {
  private final HttpServerOptions options;
  private final Router router;
  private final long shutdownGraceMs;
  private final Consumer<HttpServer> listening;
  private final MeterRegistry meters;
  private final OpenConnections connections;
  private EventLoopLag lag;
  private HttpServer server;

  /**
   * @param listening told of the server once it listens (on this verticle's event loop)
   * @param meters where the lag of this verticle's event loop is recorded ({@link EventLoopLag})
   * @param connections counts this server's connections with every other server's
   */
  HttpServerVerticle(HttpServerOptions options, Router router, long shutdownGraceMs, Consumer<HttpServer> listening,
      MeterRegistry meters, OpenConnections connections) {
    this.options = new HttpServerOptions(Objects.requireNonNull(options, "options"));
    this.router = Objects.requireNonNull(router, "router");
    this.shutdownGraceMs = shutdownGraceMs;
    this.listening = Objects.requireNonNull(listening, "listening");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.connections = Objects.requireNonNull(connections, "connections");
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(options)
        .invalidRequestHandler(Problems.invalidRequestHandler(options.getMaxInitialLineLength(),
            options.getMaxHeaderSize()))
        .connectionHandler(connections::track)
        .requestHandler(router)
        .listen()
        .onSuccess(listened -> {
          server = listened;
          lag = new EventLoopLag(vertx, meters);
          lag.start();
          listening.accept(listened);
        });
  }

  /**
   * Stops accepting and gives the requests in flight up to the shutdown grace to finish (event streams end
   * at once: they listen for the shutdown). The port closes with the last server.
   */
  @Override
  public Future<?> stop() {
    if (lag != null) {
      lag.stop();
    }
    return server == null ? Future.succeededFuture() : server.shutdown(shutdownGraceMs, TimeUnit.MILLISECONDS);
  }
}
