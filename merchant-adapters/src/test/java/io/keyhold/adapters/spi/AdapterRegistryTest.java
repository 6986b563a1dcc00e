package io.keyhold.adapters.spi;

import static io.keyhold.adapters.contract.Await.failure;
import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.testing.LocalRules;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdapterRegistryTest {

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    result(vertx.close());
  }

  @Test
  void findsTheBuiltInAndThirdPartyTypesOnTheClassPath() {
    AdapterRegistry registry = AdapterRegistry.load();

    assertThat(registry.adapterTypes()).contains("http", "in-memory");
    assertThat(registry.validatorTypes()).contains("format", "http");
  }

  @Test
  void anUnknownTypeFailsListingTheKnownOnes() {
    AdapterContext context = AdapterContext.builder().vertx(vertx).merchantId("shop-a").build();

    assertThat(failure(AdapterRegistry.load().createAdapter("ftp", context)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no merchant adapter of type 'ftp'")
        .hasMessageContaining("http");
  }

  @Test
  void aMissingSecretOrBadUrlFailsNamingTheFieldNotTheValue() {
    AdapterContext noSecret = AdapterContext.builder().vertx(vertx).merchantId("shop-a")
        .config(new JsonObject().put("base_url", "http://127.0.0.1:1")).outboundRules(LocalRules.LOOPBACK).build();
    AdapterContext plainHttpAbroad = AdapterContext.builder().vertx(vertx).merchantId("shop-a")
        .config(new JsonObject().put("base_url", "http://shop.example/keyhold"))
        .secrets(Secrets.of(Map.of("signing_secret", "hidden-secret-0123456789"))).build();

    assertThat(failure(AdapterRegistry.load().createAdapter("http", noSecret)))
        .hasMessage("secret 'signing_secret' must be set, but is missing");
    assertThat(failure(AdapterRegistry.load().createAdapter("http", plainHttpAbroad)))
        .hasMessageContaining("base_url must use https")
        .message().doesNotContain("hidden-secret");
  }
}
