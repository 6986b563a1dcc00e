package io.keyhold.simulator.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import java.net.ConnectException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

/**
 * Which failures are asked again, and under which reason. The exceptions are the ones Vert.x and Netty
 * raise (built here: a connect timeout or a pool wait cannot be provoked on demand on 127.0.0.1).
 */
class RetryReasonTest {

  private static ApiProblem noAnswer(Throwable cause) {
    return ApiProblem.noAnswer("op", cause);
  }

  private static ApiProblem answered(int status, String code) {
    return new ApiProblem("op", status, code, null, -1);
  }

  @Test
  void tellsTheWaysACallGetsNoAnswerApart() {
    assertThat(RetryReason.of(noAnswer(new ConnectException("Connection refused"))))
        .isEqualTo(RetryReason.CONNECTION_REFUSED);
    assertThat(RetryReason.of(noAnswer(new ConnectTimeoutException("connection timed out: /127.0.0.1:1"))))
        .isEqualTo(RetryReason.CONNECT_TIMEOUT);
    assertThat(RetryReason.of(noAnswer(new NoStackTraceTimeoutException(
        "The timeout of 100 ms has been exceeded when getting a connection to 127.0.0.1:1"))))
        .isEqualTo(RetryReason.CONNECT_TIMEOUT);
    assertThat(RetryReason.of(noAnswer(new NoStackTraceTimeoutException(
        "The timeout period of 100ms has been exceeded while executing GET /x for server 127.0.0.1:1"))))
        .isEqualTo(RetryReason.RESPONSE_TIMEOUT);
    assertThat(RetryReason.of(noAnswer(new HttpClosedException("Connection was closed"))))
        .isEqualTo(RetryReason.CONNECTION_RESET);
    assertThat(RetryReason.of(noAnswer(new SocketException("Connection reset"))))
        .isEqualTo(RetryReason.CONNECTION_RESET);
  }

  @Test
  void asksAgainAfterServerErrorsAndOverloadButKeepsEveryOtherAnswer() {
    assertThat(RetryReason.of(answered(503, "overloaded"))).isEqualTo(RetryReason.UNAVAILABLE_503);
    assertThat(RetryReason.of(answered(500, "internal_error"))).isEqualTo(RetryReason.SERVER_ERROR_500);
    assertThat(RetryReason.of(answered(409, "idempotency_request_in_progress"))).isEqualTo(RetryReason.IN_PROGRESS);
    assertThat(RetryReason.of(answered(409, "out_of_stock"))).isNull();
    assertThat(RetryReason.of(answered(400, "validation_failed"))).isNull();
    assertThat(RetryReason.of(answered(0, ApiProblem.NOT_SENT))).isNull();
  }

  @Test
  void aPlaceInTheWaitingRoomIsItsOwnReasonAndAPlain503StaysAnOverload() {
    ApiProblem placed = new ApiProblem("op", 503, "overloaded", null, 1_000, "tkt-1");

    assertThat(placed.placeGiven()).isTrue();
    assertThat(RetryReason.of(placed)).isEqualTo(RetryReason.WAITING_ROOM);
    assertThat(RetryReason.WAITING_ROOM.code()).isEqualTo("waiting_room");
    assertThat(RetryReason.of(answered(503, "overloaded"))).isEqualTo(RetryReason.UNAVAILABLE_503);
    // A ticket on anything but a 503 is no place in line.
    assertThat(new ApiProblem("op", 500, "internal_error", null, -1, "tkt-1").placeGiven()).isFalse();
    assertThat(placed.getMessage()).doesNotContain("tkt-1");
  }

  @Test
  void aWriteIsAskedAgainOnlyUnderAnIdempotencyKey() {
    ApiProblem refused = noAnswer(new ConnectException("Connection refused"));
    ApiProblem serverError = answered(500, "internal_error");

    assertThat(GatewayTransport.retried(HttpMethod.GET, null, serverError)).isEqualTo(RetryReason.SERVER_ERROR_500);
    assertThat(GatewayTransport.retried(HttpMethod.POST, "k", serverError)).isEqualTo(RetryReason.SERVER_ERROR_500);
    assertThat(GatewayTransport.retried(HttpMethod.POST, null, serverError)).isNull();
    assertThat(GatewayTransport.retried(HttpMethod.POST, null, refused)).isNull();
    assertThat(GatewayTransport.retried(HttpMethod.POST, "k", refused)).isEqualTo(RetryReason.CONNECTION_REFUSED);
  }

  @Test
  void theBackoffDoublesUpToItsCapAndRetryAfterWinsWhenGiven() {
    RetryPolicy policy = new RetryPolicy(8, 100, 400, 45_000);

    assertThat(policy.delayMs(1, -1)).isBetween(100L, 200L);
    assertThat(policy.delayMs(2, -1)).isBetween(200L, 400L);
    assertThat(policy.delayMs(6, -1)).isBetween(400L, 800L);
    assertThat(policy.delayMs(1, 5_000)).isBetween(5_000L, 6_000L);
    assertThat(policy.delayMs(1, 600_000)).isBetween(RetryPolicy.RETRY_AFTER_MS_MAX, RetryPolicy.RETRY_AFTER_MS_MAX
        * 6 / 5);
  }
}
