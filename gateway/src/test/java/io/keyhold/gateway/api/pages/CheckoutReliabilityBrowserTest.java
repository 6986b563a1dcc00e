package io.keyhold.gateway.api.pages;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.engine.EngineConfig;
import io.keyhold.gateway.engine.Reliability;
import io.keyhold.gateway.testing.ShiftableClock;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The shop's reliability on the checkout page, before the buyer pays (issue 14), in a real browser set up as in
 * {@link BuyerPagesBrowserTest}: the score and each part with its sample size, in zh-CN and en, and "not enough
 * data" for a new shop. Screenshots go to {@code target/screenshots/reliability-*}.
 */
class CheckoutReliabilityBrowserTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Dimension DESKTOP = new Dimension(1280, 900);
  static final Dimension PHONE = new Dimension(390, 844);

  static TestGateway gw;
  static Purchases purchases;

  Path profile;
  ChromeDriver driver;

  @BeforeAll
  static void start() throws Exception {
    BuyerPagesBrowserTest.assumeChromium();
    EngineConfig engine = BuyerPagesBrowserTest.quickEngine();
    gw = TestGateway.start(config -> config.clock(new ShiftableClock()).engine(engine));
    purchases = new Purchases(gw);
    Files.createDirectories(BuyerPagesBrowserTest.SCREENSHOTS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) {
      gw.close();
    }
  }

  @BeforeEach
  void openBrowser() throws IOException {
    profile = Files.createTempDirectory("keyhold-chromium-");
    driver = BuyerPagesBrowserTest.openChromium(profile);
  }

  @AfterEach
  void closeBrowser() throws IOException {
    BuyerPagesBrowserTest.closeChromium(driver, profile);
  }

  @Test
  void theCheckoutPageShowsTheShopsScoreAndItsPartsWithTheSampleSizeBeforeThePayment() {
    Purchases.Shop shop = purchases.stockShop(25, null);
    for (int i = 0; i < 4; i++) {
      purchases.readyOrder(shop, 5);
    }
    awaitScore(shop.merchant().id());
    driver.get(gw.checkout(shop.merchant().apiKey(), shop.skuId(), 1).json().getString("url"));

    waitVisible(By.id("pay"));
    WebElement card = waitVisible(By.id("reliability"));
    assertThat(document().getAttribute("lang")).isEqualTo("zh-CN");
    assertThat(text("score-value")).isEqualTo("100 / 100");
    assertThat(card.getText()).contains("店铺信誉", "按时发货", "20 个卡密中 20 个", "无效卡密", "发货用时", "近 30 天");
    assertThat(isAbove("reliability", "pay")).as("the score is shown before the pay button").isTrue();
    screenshots("reliability-1-checkout", "zh-CN");

    switchLanguage("en");
    waitText(By.id("reliability"), "Shop reliability");
    assertThat(text("reliability")).contains("Delivered on time", "100% (20 of 20 keys)", "Invalid keys",
        "0% (0 of 20 checked)", "Last 30 days");
    screenshots("reliability-1-checkout", "en");
  }

  @Test
  void aNewShopShowsNotEnoughDataInBothLanguages() {
    Purchases.Shop shop = purchases.stockShop(2, null);
    driver.get(gw.checkout(shop.merchant().apiKey(), shop.skuId(), 1).json().getString("url"));

    waitVisible(By.id("pay"));
    waitVisible(By.id("reliability"));
    assertThat(text("score-value")).isEqualTo("暂无评分");
    assertThat(text("score-note")).contains("数据不足", String.valueOf(Reliability.DELIVERIES_MIN));
    screenshots("reliability-2-new-shop", "zh-CN");
    switchLanguage("en");
    waitText(By.id("score-value"), "No score yet");
    assertThat(text("score-note")).contains("Not enough data");
    assertThat(text("reliability")).contains("none yet");
    screenshots("reliability-2-new-shop", "en");
  }

  // ---- helpers

  private static void awaitScore(String merchantId) {
    long giveUp = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < giveUp) {
      JsonObject json = gw.get("/v1/merchants/" + merchantId + "/reliability", null).json();
      if (json.getValue("score") != null && json.getJsonObject("keys").getLong("sample") == 20) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("merchant " + merchantId + " never got a score; last "
        + gw.get("/v1/merchants/" + merchantId + "/reliability", null).body() + "; evidence: " + gw.query("SELECT type, count(*) AS n FROM evidence_events WHERE merchant_id = $1 GROUP BY type",
            merchantId).stream().map(row -> row.getString("type") + "=" + row.getLong("n")).toList()
        + "; cursor: " + gw.query("SELECT events_folded || ' at ' || tx::text || '/' || order_id || '/' || seq"
            + " FROM merchant_stats_cursor").get(0).getString(0)
        + " rows " + gw.query("SELECT string_agg(tx::text || ':' || type, ',' ORDER BY tx, order_id, seq)"
            + " FROM evidence_events").get(0).getString(0)
        + " of " + gw.query("SELECT count(*) FROM evidence_events").get(0).getLong(0)
        + "; transactions holding the fold back: "
        + gw.query("SELECT datname, state, backend_xid::text, xact_start::text, left(query, 80) AS q FROM pg_stat_activity"
            + " WHERE backend_xid IS NOT NULL OR backend_xmin IS NOT NULL").stream()
            .map(row -> row.getString("datname") + "/" + row.getString("state") + "/" + row.getString("backend_xid")
                + "/" + row.getString("xact_start") + "/" + row.getString("q")).toList());
  }

  private boolean isAbove(String upper, String lower) {
    return driver.findElement(By.id(upper)).getRect().getY() < driver.findElement(By.id(lower)).getRect().getY();
  }

  private void switchLanguage(String lang) {
    driver.findElement(By.cssSelector("button[data-lang='" + lang + "']")).click();
    waitUntil("the page in " + lang, () -> lang.equals(document().getAttribute("lang")));
  }

  private WebElement document() {
    return driver.findElement(By.tagName("html"));
  }

  private String text(String id) {
    return driver.findElement(By.id(id)).getText();
  }

  private WebElement waitVisible(By by) {
    return new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(d -> {
      List<WebElement> found = d.findElements(by);
      return !found.isEmpty() && found.get(0).isDisplayed() ? found.get(0) : null;
    });
  }

  private void waitText(By by, String part) {
    waitUntil("'" + part + "' in " + by, () -> {
      List<WebElement> found = driver.findElements(by);
      return !found.isEmpty() && found.get(0).getText().contains(part);
    });
  }

  private void waitUntil(String what, java.util.function.BooleanSupplier condition) {
    new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class)
        .withMessage(() -> "waiting for " + what + " on " + driver.getCurrentUrl())
        .until(d -> condition.getAsBoolean());
  }

  private void screenshots(String name, String lang) {
    new Browser(driver).screenshots(name, lang);
  }
}
