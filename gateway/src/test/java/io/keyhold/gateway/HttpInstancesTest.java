package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keyhold.gateway.testing.TestGateway;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The gateway serves HTTP on several event loops at once, every one on the same port: a route added for
 * the test answers the name of the thread that ran it, asked over one new connection at a time (Vert.x
 * hands each new connection to the next server). Closing stops them all, each after its requests in flight.
 * On Linux x86-64 the sockets run on Netty's native epoll transport.
 */
class HttpInstancesTest {
  private static final String THREAD_PATH = "/test/thread";
  private static final String SLOW_PATH = "/test/slow";
  /** Well within the test gateway's shutdown grace (a second). */
  private static final long WORK_AFTER_SHUTDOWN_MS = 100;
  private static final int INSTANCES = 2;
  /** More connections than instances, so every instance gets some. */
  private static final int CONNECTIONS = 4 * INSTANCES;

  @Test
  void servesRequestsOnAsManyEventLoopsAsInstancesAllOnOnePort() throws Exception {
    try (TestGateway gw = TestGateway.start(config -> config.httpInstances(INSTANCES))) {
      Set<String> threads = threadsServing(gw.gateway());

      assertThat(threads).hasSize(INSTANCES).allMatch(name -> name.startsWith("vert.x-eventloop-thread-"));
    }
  }

  @Test
  void runsAsManyEventLoopsAsConfiguredWithAServerOnEachByDefault() throws Exception {
    int eventLoops = 3;
    try (TestGateway gw = TestGateway.start(config -> config.eventLoops(eventLoops))) {
      assertThat(threadsServing(gw.gateway())).hasSize(eventLoops);
    }
    // Servers past the loops share them: three servers on one loop answer on one thread.
    try (TestGateway gw = TestGateway.start(config -> config.eventLoops(1).httpInstances(3))) {
      assertThat(threadsServing(gw.gateway())).hasSize(1);
    }
  }

  @Test
  void runsItsSocketsOnEpollOnLinux() throws Exception {
    // The native library ships for this platform only; elsewhere the gateway runs on NIO and says so at start.
    assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
        "epoll's library is bundled for linux-x86_64");
    try (TestGateway gw = TestGateway.start(config -> config.httpInstances(INSTANCES))) {
      // A Netty version that no longer matches the native library's would fall back to NIO without failing.
      assertThat(gw.gateway().vertx().isNativeTransportEnabled())
          .as("native transport, unavailable because: %s", gw.gateway().vertx().unavailableNativeTransportCause())
          .isTrue();
    }
  }

  @Test
  void closingStopsEveryInstanceListeningOnThePort() throws Exception {
    TestGateway gw = TestGateway.start(config -> config.httpInstances(INSTANCES));
    int port = gw.gateway().port();
    try {
      assertThat(threadsServing(gw.gateway())).hasSize(INSTANCES);
    } finally {
      gw.close();
    }

    assertThatThrownBy(() -> get(port, "/health")).isInstanceOf(ConnectException.class);
  }

  @Test
  void answersTheRequestsInFlightOnEveryInstanceWhenClosing() throws Exception {
    TestGateway gw = TestGateway.start(config -> config.httpInstances(INSTANCES));
    CountDownLatch inFlight = new CountDownLatch(CONNECTIONS);
    // A request still at work when the server starts shutting down: it answers a little later.
    gw.gateway().router().get(SLOW_PATH).handler(ctx -> {
      ctx.request().connection().shutdownHandler(shutdown ->
          ctx.vertx().setTimer(WORK_AFTER_SHUTDOWN_MS, done -> ctx.response().end("finished")));
      inFlight.countDown();
    });
    int port = gw.gateway().port();
    ExecutorService clients = Executors.newFixedThreadPool(CONNECTIONS);
    List<Future<String>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < CONNECTIONS; i++) {
        answers.add(clients.submit(() -> get(port, SLOW_PATH)));
      }
      assertThat(inFlight.await(TestGateway.AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    } finally {
      gw.close();
      clients.shutdown();
    }

    for (Future<String> answer : answers) {
      assertThat(answer.get(TestGateway.AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("finished");
    }
  }

  /** The threads that answered {@link #CONNECTIONS} requests, each on a new connection to the gateway's port. */
  private static Set<String> threadsServing(Gateway gateway) throws IOException {
    gateway.router().get(THREAD_PATH).handler(ctx -> ctx.response().end(Thread.currentThread().getName()));
    Set<String> threads = new TreeSet<>();
    for (int i = 0; i < CONNECTIONS; i++) {
      threads.add(get(gateway.port(), THREAD_PATH));
    }
    return threads;
  }

  /** One GET on a connection of its own, closed after the answer; answers the body of a 200. */
  private static String get(int port, String path) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) TestGateway.HTTP_TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(answer).startsWith("HTTP/1.1 200");
      return answer.substring(answer.indexOf("\r\n\r\n") + 4);
    }
  }
}
