package io.keyhold.gateway.api;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A plain server-sent events client for tests (JDK HttpClient): collects the {@code event: order}
 * messages of one stream, parsed, in arrival order.
 */
final class EventStream implements AutoCloseable {
  private final HttpResponse<Stream<String>> response;
  private final BlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
  private final Thread reader;

  private EventStream(HttpResponse<Stream<String>> response) {
    this.response = response;
    this.reader = new Thread(this::read, "sse-test-reader");
    this.reader.setDaemon(true);
    if (response.statusCode() == 200) {
      reader.start();
    }
  }

  static EventStream open(String url) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").GET().build();
    return new EventStream(client.send(request, HttpResponse.BodyHandlers.ofLines()));
  }

  int status() {
    return response.statusCode();
  }

  String header(String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  /** The next order event, or null after {@code timeout}. */
  JsonObject next(Duration timeout) throws InterruptedException {
    return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void read() {
    String event = null;
    try (Stream<String> lines = response.body()) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ") && "order".equals(event)) {
          events.add(new JsonObject(line.substring(6)));
        } else if (line.isEmpty()) {
          event = null;
        }
      }
    } catch (RuntimeException e) {
      // The test closed the stream.
    }
  }

  @Override
  public void close() {
    response.body().close();
  }
}
