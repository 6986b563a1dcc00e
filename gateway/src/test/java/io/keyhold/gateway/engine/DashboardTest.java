package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operators' Grafana dashboard ({@code deploy/grafana/keyhold-gateway.json}) asks only for metrics the gateway
 * really exports: a gateway is driven through a sale, an expiry, a remote shop and a refused request, and every
 * metric name a panel's query names must be in its {@code /metrics} scrape.
 */
class DashboardTest {
  static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "keyhold-gateway.json");
  /** The metric names a query may use: the gateway's own and those of the libraries it exports. */
  static final Pattern METRIC = Pattern.compile("\\b(?:keyhold|vertx|jvm|resilience4j|process)_[a-z0-9_]+");
  /** Gauges read from the database appear at their next reading (every 5 s). */
  static final Duration SCRAPE_WAIT = Duration.ofSeconds(20);

  static Flows flows;

  @BeforeAll
  static void start() throws Exception {
    flows = Flows.start();
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
  }

  @Test
  void everyPanelQueriesAMetricTheGatewayExports() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    Set<String> asked = new TreeSet<>();
    Set<String> titles = new TreeSet<>();
    for (Object item : dashboard.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) item;
      assertThat(titles.add(panel.getString("title"))).as("panel titles are unique").isTrue();
      JsonArray targets = panel.getJsonArray("targets");
      assertThat(targets).as("queries of panel '%s'", panel.getString("title")).isNotEmpty();
      for (Object target : targets) {
        Matcher names = METRIC.matcher(((JsonObject) target).getString("expr"));
        boolean any = false;
        while (names.find()) {
          asked.add(names.group());
          any = true;
        }
        assertThat(any).as("a query of panel '%s' names a metric", panel.getString("title")).isTrue();
      }
    }

    driveTheGateway();
    Set<String> exported = awaitScrapeWith(asked);

    assertThat(exported).containsAll(asked);
    // The figures read from the database are the right ones: one order ready and holding its price in escrow,
    // one awaiting payment at the remote shop.
    assertThat(value("keyhold_orders_open", "state=\"ready\"")).isEqualTo(1.0);
    assertThat(value("keyhold_orders_open", "state=\"awaiting_payment\"")).isEqualTo(1.0);
    assertThat(value("keyhold_escrow_held_minor", "currency=\"CNY\"")).isEqualTo((double) Flows.PRICE);
    assertThat(value("keyhold_deadlines_fired_total", "evidence=\"order.expired\"")).isEqualTo(1.0);
  }

  /** The value of the first sample of {@code name} whose labels contain {@code label}. */
  private static double value(String name, String label) {
    for (String line : flows.gw.get("/metrics", flows.gw.adminToken()).body().split("\n")) {
      if (line.startsWith(name + "{") && line.contains(label)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no sample of " + name + " with " + label);
  }

  /** A sale to ready, an order left to expire, a checkout at a remote shop, a refused request. */
  private static void driveTheGateway() {
    Flows.Merchant shop = flows.stockMerchant("Dashboard shop");
    String sku = flows.sku(shop, Flows.shortPolicy(), null);
    flows.upload(shop, sku, List.of("DASH-" + UUID.randomUUID(), "DASH-" + UUID.randomUUID()));
    Flows.Session sold = flows.checkout(shop, sku, 1);
    flows.pay(sold, 1);
    flows.awaitState(shop, sold.orderId(), "ready");
    Flows.Session lapsed = flows.checkout(shop, sku, 1);
    flows.advance(Duration.ofSeconds(61));
    flows.awaitState(shop, lapsed.orderId(), "expired");
    Flows.HttpShop remote = flows.httpShop("Dashboard remote shop", 1, Flows.shortPolicy(), null);
    flows.checkout(remote.merchant(), remote.skuId(), 1);
    assertThat(flows.gw.get("/v1/orders/ord_aaaaaaaaaaaaaaaaaaaaaaaa", shop.apiKey()).status()).isEqualTo(404);
  }

  private static Set<String> awaitScrapeWith(Set<String> wanted) throws InterruptedException {
    Instant giveUp = Instant.now().plus(SCRAPE_WAIT);
    Set<String> exported = scrape();
    while (!exported.containsAll(wanted) && Instant.now().isBefore(giveUp)) {
      Thread.sleep(250);
      exported = scrape();
    }
    return exported;
  }

  private static Set<String> scrape() {
    TestGateway.Response metrics = flows.gw.get("/metrics", flows.gw.adminToken());
    assertThat(metrics.status()).isEqualTo(200);
    Set<String> names = new TreeSet<>();
    for (String line : metrics.body().split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
        names.add(line.substring(0, end));
      }
    }
    return names;
  }
}
