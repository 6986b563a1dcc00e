package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cap on requests served at once, over real HTTP on 127.0.0.1. */
class InFlightLimitTest {
  private static final int MAX = 2;
  private Vertx vertx;
  private HttpServer server;
  private InFlightLimit limit;
  /** Requests let through and held open until the test answers them. */
  private final List<Promise<Void>> held = new CopyOnWriteArrayList<>();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    limit = new InFlightLimit("test", MAX);
    Router router = Router.router(vertx);
    Problems.install(router);
    router.post("/work").handler(limit.handler()).handler(ctx -> {
      Promise<Void> release = Promise.promise();
      held.add(release);
      release.future().onComplete(done -> ctx.response().end("done"));
    });
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private CompletableFuture<HttpResponse<String>> post() {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + "/work"))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  private void awaitHeld(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (held.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(held).hasSize(count);
  }

  @Test
  void refusesRequestsPastTheCapAtOnceWithRetryAfterAndLetsThemInOncePlacesFree() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> first = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      first.add(post());
    }
    awaitHeld(MAX);
    assertThat(limit.inFlight()).isEqualTo(MAX);

    HttpResponse<String> refused = post().get(10, TimeUnit.SECONDS);

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue(Problem.CONTENT_TYPE);
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(new JsonObject(refused.body()).getString("code")).isEqualTo("overloaded");
    assertThat(held).as("the refused request never reached the handler").hasSize(MAX);

    held.get(0).complete();
    // Whichever of the first requests was held first is the one answered now.
    assertThat(CompletableFuture.anyOf(first.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS))
        .extracting(answered -> ((HttpResponse<?>) answered).body()).isEqualTo("done");
    CompletableFuture<HttpResponse<String>> next = post();
    awaitHeld(MAX + 1);
    held.forEach(Promise::tryComplete);
    assertThat(next.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    for (CompletableFuture<HttpResponse<String>> answer : first) {
      assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (limit.inFlight() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(limit.inFlight()).as("every place given back").isZero();
  }

  @Test
  void refusesACapBelowOne() {
    assertThatThrownBy(() -> new InFlightLimit("checkout", 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checkout").hasMessageContaining("0");
  }
}
