package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.keyhold.gateway.testing.TestGateway.Merchant;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A shop's server may call over HTTP/2 without TLS (h2c, prior knowledge): many checkouts at once on one
 * connection, each served as over HTTP/1.1, with the number open at once bounded by what the gateway tells
 * every HTTP/2 caller.
 */
class Http2ServingTest {
  /** More than one connection may carry at once, so the bound is met and the rest wait their turn on it. */
  private static final int CHECKOUTS = (int) Gateway.HTTP2_STREAMS_PER_CONNECTION_MAX + 20;

  @Test
  void aShopChecksOutManyBuyersAtOnceOverOneHttp2Connection() throws Exception {
    try (TestGateway gw = TestGateway.start()) {
      Merchant shop = gw.createMerchant("Multiplexing Shop");
      String sku = gw.createSku(shop);
      List<String> keys = IntStream.range(0, CHECKOUTS).mapToObj(i -> "H2KEY-" + UUID.randomUUID()).toList();
      assertThat(gw.uploadKeys(shop, sku, keys).status()).isEqualTo(201);
      URI base = URI.create(gw.baseUrl());
      Vertx vertx = Vertx.vertx();
      try {
        HttpClientAgent client = vertx.httpClientBuilder()
            .with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                .setDefaultHost(base.getHost()).setDefaultPort(base.getPort()))
            .with(new PoolOptions().setHttp2MaxSize(1))
            .build();
        String body = new JsonObject().put("sku_id", sku).put("quantity", 1).encode();
        List<Future<Answer>> answers = new ArrayList<>();
        for (int i = 0; i < CHECKOUTS; i++) {
          answers.add(client.request(HttpMethod.POST, "/v1/checkout-sessions").compose(request -> request
              .putHeader("Authorization", "Bearer " + shop.apiKey())
              .putHeader("Content-Type", "application/json")
              .putHeader("Idempotency-Key", UUID.randomUUID().toString())
              .send(Buffer.buffer(body))
              .compose(response -> response.body().map(answered -> new Answer(response.statusCode(),
                  response.version(), request.connection().remoteSettings().getMaxConcurrentStreams(),
                  System.identityHashCode(request.connection()), answered.toJsonObject())))));
        }
        List<Answer> all = Future.all(answers).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS)
            .list();

        assertThat(all).allSatisfy(answer -> {
          assertThat(answer.status()).as(answer.json().encode()).isEqualTo(201);
          assertThat(answer.version()).isEqualTo(HttpVersion.HTTP_2);
          assertThat(answer.streamsMax()).isEqualTo(Gateway.HTTP2_STREAMS_PER_CONNECTION_MAX);
        });
        assertThat(all.stream().map(Answer::connection).collect(Collectors.toSet())).as("connections used").hasSize(1);
        Set<String> orders = all.stream().map(answer -> answer.json().getString("order_id")).collect(Collectors.toSet());
        assertThat(orders).as("an order of its own for every checkout").hasSize(CHECKOUTS);
        assertThat(gw.query("SELECT count(*) AS reserved FROM stock_keys WHERE state = 'reserved'").get(0)
            .getLong("reserved")).isEqualTo((long) CHECKOUTS);
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  private record Answer(int status, HttpVersion version, long streamsMax, int connection, JsonObject json) {}
}
