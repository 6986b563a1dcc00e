package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.testing.TestGateway.Merchant;
import io.keyhold.gateway.testing.TestGateway;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** No card key, token or secret in any log line of a whole gateway run, errors included. */
class LogCaptureTest {
  @Test
  void noKeyTokenOrSecretReachesTheLogs() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    LoggerContext context = root.getLoggerContext();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.setContext(context);
    captured.start();
    root.addAppender(captured);
    Level rootLevel = root.getLevel();
    root.setLevel(Level.DEBUG);
    List<String> secrets = new ArrayList<>();
    try {
      TestGateway gw = TestGateway.start();
      secrets.add(gw.adminToken());
      try {
        Merchant merchant = gw.createMerchant("Quiet Shop");
        secrets.add(merchant.apiKey());
        secrets.add(merchant.webhookSecret());
        String sku = gw.createSku(merchant);
        List<String> keys = IntStream.range(0, 30).mapToObj(i -> "LOGKEY-" + UUID.randomUUID()).toList();
        secrets.addAll(keys);
        gw.uploadKeys(merchant, sku, keys);
        gw.uploadKeys(merchant, sku, keys.subList(0, 2));
        gw.uploadKeys(merchant, sku, List.of("X".repeat(300)));
        gw.post("/v1/skus/" + sku + "/stock", merchant.apiKey(), "{\"keys\":[\"" + keys.get(3) + "\"", "Idempotency-Key", "k1");
        gw.post("/v1/skus", merchant.apiKey() + "tampered", "{}");
        gw.post("/admin/v1/merchants", gw.adminToken(), "{\"name\":\"Again\",\"fee_basis_points\":1}",
            "Idempotency-Key", "log-1");
        gw.post("/admin/v1/merchants", gw.adminToken(), "{\"name\":\"Again\",\"fee_basis_points\":1}",
            "Idempotency-Key", "log-1");
        List<Long> ids = TestGateway.await(gw.gateway().stock().reserve(merchant.id(), sku, 2, "log-order",
            java.time.OffsetDateTime.now().plusMinutes(1)));
        TestGateway.await(gw.gateway().stock().open(gw.gateway().pool(), merchant.id(), ids));
        // A whole buyer life too: sold, paid, checked, revealed, confirmed; a cancel; a wrong token.
        Purchases buyers = new Purchases(gw);
        Purchases.Shop shop = buyers.stockShop(4, null);
        secrets.addAll(shop.keys());
        secrets.add(shop.merchant().apiKey());
        secrets.add(shop.merchant().webhookSecret());
        Purchases.Purchase kept = buyers.readyOrder(shop, 2);
        secrets.add(kept.token());
        assertThat(buyers.act(kept, "reveal").status()).isEqualTo(200);
        assertThat(buyers.act(kept, "confirm").status()).isEqualTo(200);
        Purchases.Purchase cancelled = buyers.readyOrder(shop, 1);
        secrets.add(cancelled.token());
        assertThat(buyers.act(cancelled, "cancel").status()).isEqualTo(200);
        assertThat(gw.get(cancelled.path(""), cancelled.token() + "x").status()).isEqualTo(404);
        Properties stored = new Properties();
        try (var reader = Files.newBufferedReader(gw.gateway().config().dataDir().resolve("secrets.properties"))) {
          stored.load(reader);
        }
        // Every value but the active key's id ("k1", a label, not a secret).
        stored.stringPropertyNames().stream().filter(name -> !name.equals("vault.active"))
            .forEach(name -> secrets.add(stored.getProperty(name)));
      } finally {
        gw.close();
      }
    } finally {
      root.detachAppender(captured);
      root.setLevel(rootLevel);
    }

    assertThat(captured.list).as("the run logged something").hasSizeGreaterThan(5);
    StringBuilder all = new StringBuilder();
    for (ILoggingEvent event : captured.list) {
      all.append(event.getFormattedMessage()).append('\n');
      if (event.getThrowableProxy() != null) {
        all.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append('\n');
      }
    }
    String logs = all.toString();
    for (String secret : secrets) {
      assertThat(logs).doesNotContain(secret);
    }
    assertThat(logs).doesNotContain("LOGKEY").doesNotContain("CARD-");
  }
}
