package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.TestGateway;
import io.keyhold.gateway.testing.TestGateway.Response;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests the HTTP server refuses before any route sees them (too long a URI or header block, a request
 * line that is not HTTP), and methods a path does not serve: problem+json with a stable code like every
 * other error, sent over a plain socket so nothing in between tidies the request up.
 */
class ProtocolErrorsTest {
  private static final int SOCKET_TIMEOUT_MS = 10_000;
  /** Time for the server to read a request's headers and start on its body before the caller hangs up. */
  private static final long HEADERS_READ_MS = 300;
  private static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void aUriTooLongIsAProblemWithItsOwnCode() throws IOException {
    RawAnswer answer = raw("GET /v1/skus/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");

    answer.assertProblem(414, "uri_too_long");
  }

  @Test
  void headersTooLargeAreAProblemWithTheirOwnCode() throws IOException {
    RawAnswer answer = raw("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "b".repeat(20_000) + "\r\n\r\n");

    answer.assertProblem(431, "headers_too_large");
  }

  @Test
  void aRequestLineThatIsNotHttpIsAProblem() throws IOException {
    raw("GARBAGE\r\n\r\n").assertProblem(400, "malformed_request");
    raw("GET /health HTTP/one-point-one\r\nHost: localhost\r\n\r\n").assertProblem(400, "malformed_request");
  }

  @Test
  void aMethodThePathDoesNotServeNamesTheOnesItDoes() {
    Response deleteSkus = gw.send("DELETE", "/v1/skus", null, null);
    Response putStock = gw.send("PUT", "/v1/skus/sku_" + "a".repeat(24) + "/stock", null, "{}");
    Response postHealth = gw.send("POST", "/health", null, "{}");

    assertThat(deleteSkus.status()).isEqualTo(405);
    assertThat(deleteSkus.problemCode()).isEqualTo("method_not_allowed");
    // GET lists the SKUs (the shop console's list), POST creates one.
    assertThat(deleteSkus.headers().get("allow")).as(deleteSkus.headers().toString()).isEqualTo("GET, POST");
    assertThat(putStock.status()).isEqualTo(405);
    assertThat(putStock.headers().get("allow")).as(putStock.headers().toString()).isEqualTo("GET, POST");
    assertThat(postHealth.status()).isEqualTo(405);
    assertThat(postHealth.headers().get("allow")).as(postHealth.headers().toString()).isEqualTo("GET");
  }

  @Test
  void aCallerThatHangsUpMidBodyIsNoInternalError() throws Exception {
    try (CapturedLogs logs = CapturedLogs.start()) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gw.gateway().port())) {
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/skus HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100\r\n\r\n{").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        Thread.sleep(HEADERS_READ_MS);
      }

      awaitLogLine(logs, "hung up before its request was read");
      assertThat(logs.messages()).noneMatch(line -> line.startsWith("ERROR"));
    }
  }

  /** Waits until a log line contains {@code text}, failing after {@link #SOCKET_TIMEOUT_MS}. */
  private static void awaitLogLine(CapturedLogs logs, String text) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMillis(SOCKET_TIMEOUT_MS).toNanos();
    while (System.nanoTime() < deadline && logs.messages().stream().noneMatch(line -> line.contains(text))) {
      Thread.sleep(20);
    }
    assertThat(logs.messages()).anyMatch(line -> line.contains(text));
  }

  /** Sends {@code request} as it is and reads the answer until the server closes the connection. */
  private static RawAnswer raw(String request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gw.gateway().port())) {
      socket.setSoTimeout(SOCKET_TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          bytes.write(buffer, 0, n);
        }
      } catch (java.net.SocketException reset) {
        // The server may reset the connection after answering, when part of the request was never read.
      }
      return RawAnswer.parse(bytes.toString(StandardCharsets.UTF_8));
    }
  }

  private record RawAnswer(int status, Map<String, String> headers, String body) {
    static RawAnswer parse(String text) {
      int end = text.indexOf("\r\n\r\n");
      assertThat(end).as("an HTTP answer, got: " + text).isPositive();
      String[] lines = text.substring(0, end).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(), lines[i].substring(colon + 1).trim());
      }
      return new RawAnswer(status, headers, text.substring(end + 4));
    }

    void assertProblem(int expectedStatus, String code) {
      assertThat(status).as(this.toString()).isEqualTo(expectedStatus);
      assertThat(headers.get("content-type")).as(this.toString()).isEqualTo("application/problem+json");
      JsonObject problem = new JsonObject(body);
      assertThat(problem.getString("code")).isEqualTo(code);
      assertThat(problem.getInteger("status")).isEqualTo(expectedStatus);
      assertThat(problem.getString("type")).isEqualTo("urn:keyhold:problem:" + code);
      assertThat(problem.getString("title")).isNotBlank();
      assertThat(problem.getString("detail")).isNotBlank();
    }
  }
}
