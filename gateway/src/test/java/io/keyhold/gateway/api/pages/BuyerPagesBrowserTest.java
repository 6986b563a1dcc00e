package io.keyhold.gateway.api.pages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.engine.EngineConfig;
import io.keyhold.gateway.testing.ShiftableClock;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The buyer pages in a real browser (issue 5): Debian's Chromium driven by its chromium-driver through
 * Selenium, against a whole gateway on a real PostgreSQL. Both paths are pinned, so Selenium Manager
 * never downloads anything; without Chromium the tests are skipped and say how to install it.
 *
 * <p>Screenshots (desktop 1280 px and phone 390 px wide, zh-CN and en) go to
 * {@code target/screenshots/}.
 */
class BuyerPagesBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Dimension DESKTOP = new Dimension(1280, 900);
  static final Dimension PHONE = new Dimension(390, 844);
  static final int SHOT_HEIGHT_MAX = 4000;
  static final String SIGNING_SECRET = "browser-test-merchant-signing-secret-0123";
  static final String ISSUER_SECRET = "browser-test-issuer-signing-secret-01234";

  static ShiftableClock clock;
  static TestGateway gw;
  static Purchases purchases;

  Path profile;
  ChromeDriver driver;

  @BeforeAll
  static void start() throws Exception {
    assumeChromium();
    clock = new ShiftableClock();
    EngineConfig engine = quickEngine();
    gw = TestGateway.start(config -> config.clock(clock).engine(engine));
    purchases = new Purchases(gw);
    Files.createDirectories(SCREENSHOTS);
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
    driver = openChromium(profile);
  }

  @AfterEach
  void closeBrowser() throws IOException {
    closeChromium(driver, profile);
  }

  /** Debian's Chromium, headless, as a Chinese buyer's browser (the pages must open in simplified Chinese by themselves). */
  /** Skips the calling test class where Debian's Chromium and its driver are not installed. */
  static void assumeChromium() {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Chromium is not installed; run: apt-get install -y chromium chromium-driver");
  }

  static ChromeDriver openChromium(Path profile) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + profile, "--lang=zh-CN", "--window-size=1280,900");
    options.setExperimentalOption("prefs", Map.of("intl.accept_languages", "zh-CN,zh"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    ChromeDriver opened = new ChromeDriver(service, options);
    opened.manage().window().setSize(DESKTOP);
    return opened;
  }

  /** An engine that sweeps, runs effects and retries them within milliseconds, so a browser test waits little. */
  static EngineConfig quickEngine() {
    return EngineConfig.builder().sweepIntervalMs(20).outboxIntervalMs(20).outboxBackoffBaseMs(20)
        .outboxBackoffMaxMs(200).outboxAttemptsMax(100).sandboxNoticeDelayMs(5).build();
  }

  /** Quits the browser and deletes its profile. */
  static void closeChromium(ChromeDriver opened, Path profile) throws IOException {
    if (opened != null) {
      opened.quit();
    }
    try (Stream<Path> files = Files.walk(profile)) {
      files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }

  @Test
  void aBuyerPaysWatchesTheOrderGetReadyRevealsCopiesAndConfirms() {
    Purchases.Shop shop = purchases.stockShop(3, null);
    String checkoutUrl = session(shop.merchant(), shop.skuId());

    driver.get(checkoutUrl);
    WebElement pay = waitVisible(By.id("pay"));
    assertThat(document().getAttribute("lang")).isEqualTo("zh-CN");
    assertThat(pay.getText()).contains("支付");
    assertThat(text("promise")).contains("自动退款");
    screenshots("purchase-1-checkout", "zh-CN");
    switchLanguage("en");
    waitText(By.tagName("h1"), "Checkout");
    assertThat(text("promise")).contains("refunded automatically");
    screenshots("purchase-1-checkout", "en");
    switchLanguage("zh-CN");

    waitVisible(By.id("pay")).click();
    waitUntil("the sandbox pay page", () -> driver.getCurrentUrl().contains("/sandbox/pay/"));
    waitVisible(By.id("pay")).click();
    waitUntil("the sandbox to take the payment", this::paidOrMovedOn);
    returnFromProvider();

    waitUntil("the order to be ready", () -> "ready".equals(bodyState()));
    waitUntil("the timeline step 'ready' done", () -> stepDone("ready"));
    waitUntil("the timeline step 'paid' done", () -> stepDone("paid"));
    assertThat(driver.getPageSource()).as("no key before the reveal").doesNotContain(shop.keys().toArray(new String[0]));
    assertThat(text("keys-card")).contains("密封");
    screenshots("purchase-2-ready", "zh-CN");
    switchLanguage("en");
    waitText(By.id("status"), "Ready");
    screenshots("purchase-2-ready", "en");

    grantClipboard();
    waitVisible(By.id("reveal")).click();
    // The page re-renders on every live event, so the key is read by id each time, never through an old element.
    waitVisible(By.id("key-0"));
    String key = text("key-0");
    assertThat(shop.keys()).contains(key);
    waitUntil("the reveal to be recorded", () -> "inspection".equals(bodyState()));
    driver.findElement(By.cssSelector("button.copy")).click();
    waitText(By.id("copy-status"), "copied");
    Object clipboard = ((JavascriptExecutor) driver).executeAsyncScript(
        "var done = arguments[arguments.length - 1];"
            + "navigator.clipboard.readText().then(done, function (e) { done('unreadable: ' + e); });");
    assertThat(clipboard).isEqualTo(key);
    assertThat(driver.getCurrentUrl()).doesNotContain(key);
    screenshots("purchase-3-revealed", "en");

    waitVisible(By.id("confirm")).click();
    waitUntil("the money to be released", () -> "released".equals(bodyState()));
    waitUntil("the timeline step 'released' done", () -> stepDone("released"));
    screenshots("purchase-4-released", "en");
    switchLanguage("zh-CN");
    waitText(By.id("status"), "已完成");
    screenshots("purchase-4-released", "zh-CN");

    driver.get(driver.findElement(By.id("evidence-print")).getAttribute("href"));
    waitText(By.id("content"), "Ed25519");
    screenshots("purchase-5-evidence", "zh-CN");
  }

  @Test
  void theAutomaticRefundAppearsWithoutReloadingWhenTheShopNeverDelivers() throws Exception {
    int port = freePort();
    TestGateway.Merchant merchant = httpMerchant("http://127.0.0.1:" + port);
    JsonObject policy = new JsonObject().put("pay_within_seconds", 600).put("deliver_within_seconds", 60)
        .put("validate_within_seconds", 60).put("resupply_within_seconds", 60).put("max_resupply_attempts", 1)
        .put("inspection_window_seconds", 600).put("max_hold_seconds", 3600);
    TestGateway.Response sku = gw.post("/v1/skus", merchant.apiKey(), new JsonObject().put("name", "Steam 100 点卡")
        .put("price", 1000).put("currency", "CNY").put("policy", policy).encode());
    assertThat(sku.status()).as("%s", sku).isEqualTo(201);
    String skuId = sku.json().getString("id");
    ReferenceMerchant shop = TestGateway.await(ReferenceMerchant.start(gw.gateway().vertx(),
        ReferenceMerchantOptions.builder().host("127.0.0.1").port(port).sku(skuId, 5).secret(SIGNING_SECRET)
            .issuerSecret(ISSUER_SECRET).clock(clock).seed(11).build()));
    String checkoutUrl = session(merchant, skuId);
    // The shop takes the reservation and then disappears (跑路): no key will ever come.
    TestGateway.await(shop.close());

    driver.get(checkoutUrl);
    waitVisible(By.id("pay")).click();
    waitUntil("the sandbox pay page", () -> driver.getCurrentUrl().contains("/sandbox/pay/"));
    waitVisible(By.id("pay")).click();
    waitUntil("the sandbox to take the payment", this::paidOrMovedOn);
    returnFromProvider();

    waitUntil("the order to be paid", () -> "funded".equals(bodyState()));
    waitText(By.id("deadline-heading"), "店铺发货");
    screenshots("refund-1-waiting-for-the-shop", "zh-CN");
    ((JavascriptExecutor) driver).executeScript("window.keyholdSamePage = 'yes';");

    // The delivery deadline passes: Keyhold asks the shop for the key once more (resupply), on a deadline too.
    clock.advance(Duration.ofSeconds(61));
    waitUntil("the resupply request", () -> "resupplying".equals(bodyState()));
    assertThat(driver.findElement(By.cssSelector("li[data-step='resupplying']")).getText()).contains("补发");
    screenshots("refund-2-resupplying", "zh-CN");
    clock.advance(Duration.ofSeconds(61));
    waitUntil("the automatic refund", () -> "refunded".equals(bodyState()));
    assertThat(((JavascriptExecutor) driver).executeScript("return window.keyholdSamePage;"))
        .as("the page was not reloaded").isEqualTo("yes");
    assertThat(waitVisible(By.id("refund-card")).getText()).contains("10.00");
    waitUntil("the timeline step 'refunded' done", () -> stepDone("refunded"));
    assertThat(text("status")).contains("已退款");
    screenshots("refund-3-refunded", "zh-CN");
    switchLanguage("en");
    waitText(By.id("refund-card"), "Refunded");
    screenshots("refund-3-refunded", "en");
  }

  // ---- the shop's side, over the API

  private String session(TestGateway.Merchant merchant, String skuId) {
    return gw.checkout(merchant.apiKey(), skuId, 1).json().getString("url");
  }

  private TestGateway.Merchant httpMerchant(String baseUrl) {
    return gw.createMerchant("夜猫卡铺", 200, new JsonObject().put("type", "http").put("config", new JsonObject()
        .put("base_url", baseUrl).put("signing_secret", SIGNING_SECRET)), null);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  // ---- the browser

  /**
   * Back from the provider's page: it sends the buyer on by itself when it supports return links;
   * otherwise the buyer presses "back", and the checkout page forwards to the order page.
   */
  private void returnFromProvider() {
    long giveUp = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    while (!driver.getCurrentUrl().contains("/orders/") && System.nanoTime() < giveUp) {
      pause(50);
    }
    if (!driver.getCurrentUrl().contains("/orders/")) {
      driver.navigate().back();
    }
    waitUntil("the order page", () -> driver.getCurrentUrl().contains("/orders/"));
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The sandbox page shows the payment as paid, or already sent the buyer back. */
  private boolean paidOrMovedOn() {
    if (!driver.getCurrentUrl().contains("/sandbox/pay/")) {
      return true;
    }
    try {
      return driver.findElement(By.id("state")).getText().contains("paid");
    } catch (org.openqa.selenium.NoSuchElementException | org.openqa.selenium.StaleElementReferenceException e) {
      return false;
    }
  }

  private void switchLanguage(String lang) {
    driver.findElement(By.cssSelector("button[data-lang='" + lang + "']")).click();
    waitUntil("the page in " + lang, () -> lang.equals(document().getAttribute("lang")));
  }

  private void grantClipboard() {
    String origin = driver.getCurrentUrl().replaceAll("^(https?://[^/]+).*$", "$1");
    driver.executeCdpCommand("Browser.grantPermissions", Map.of("origin", origin,
        "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
  }

  private WebElement document() {
    return driver.findElement(By.tagName("html"));
  }

  private boolean stepDone(String step) {
    List<WebElement> found = driver.findElements(By.cssSelector("li[data-step='" + step + "']"));
    String classes = found.isEmpty() ? null : found.get(0).getAttribute("class");
    return classes != null && classes.contains("done");
  }

  private String bodyState() {
    return driver.findElement(By.tagName("body")).getAttribute("data-state");
  }

  private String text(String id) {
    return driver.findElement(By.id(id)).getText();
  }

  private WebElement waitVisible(By by) {
    return new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(d -> {
      List<WebElement> found = d.findElements(by);
      return !found.isEmpty() && found.get(0).isDisplayed() && found.get(0).isEnabled() ? found.get(0) : null;
    });
  }

  private void waitText(By by, String part) {
    waitUntil("'" + part + "' in " + by, () -> {
      List<WebElement> found = driver.findElements(by);
      return !found.isEmpty() && found.get(0).getText().contains(part);
    });
  }

  private void waitUntil(String what, java.util.function.BooleanSupplier condition) {
    new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).withMessage(() -> "waiting for " + what + " on " + driver.getCurrentUrl())
        .until(d -> condition.getAsBoolean());
  }

  private void screenshots(String name, String lang) {
    new Browser(driver).screenshots(name, lang);
  }
}
