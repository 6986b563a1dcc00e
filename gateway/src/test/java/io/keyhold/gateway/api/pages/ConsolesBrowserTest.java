package io.keyhold.gateway.api.pages;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.engine.EngineConfig;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The shop console ({@code /console}) and the operator console ({@code /ops}) of issue 17 in Debian's Chromium,
 * against a whole gateway on a real PostgreSQL: a shop signs in, creates a SKU, pastes stock and watches an order
 * go from paid to released without reloading; an operator decides a dispute unit by unit and sees the money move in
 * the audit's totals. Screenshots at desktop and phone width in both languages go to {@code target/screenshots/}.
 */
class ConsolesBrowserTest {
  static TestGateway gw;
  static Purchases purchases;

  Path profile;
  ChromeDriver driver;
  Browser browser;

  @BeforeAll
  static void start() throws Exception {
    BuyerPagesBrowserTest.assumeChromium();
    EngineConfig engine = BuyerPagesBrowserTest.quickEngine();
    gw = TestGateway.start(config -> config.engine(engine));
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
    browser = new Browser(driver);
  }

  @AfterEach
  void closeBrowser() throws IOException {
    BuyerPagesBrowserTest.closeChromium(driver, profile);
  }

  @Test
  void aShopSignsInCreatesASkuPastesStockAndWatchesAnOrderGoFromPaidToReleased() {
    TestGateway.Merchant merchant = gw.createMerchant("夜猫卡铺");
    // A key another shop already holds: the console must report its line as a duplicate.
    Purchases.Shop other = purchases.stockShop(1, null);
    String held = "CON-" + hex();
    assertThat(gw.uploadKeys(other.merchant(), other.skuId(), List.of(held)).status()).isEqualTo(201);

    driver.get(gw.baseUrl() + "/console");
    browser.waitVisible(By.id("api-key"));
    assertThat(driver.findElement(By.tagName("html")).getAttribute("lang")).isEqualTo("zh-CN");
    browser.waitText(By.id("signin-heading"), "登录");
    browser.screenshots("console-1-signin", "zh-CN");
    browser.switchLanguage("en");
    browser.screenshots("console-1-signin", "en");

    browser.waitVisible(By.id("api-key")).sendKeys(merchant.apiKey());
    driver.findElement(By.id("signin-submit")).click();
    browser.waitUntil("the console after sign-in", () -> "true".equals(bodyAttribute("data-signed-in")));
    browser.waitText(By.id("who"), merchant.id());
    Object kept = browser.script("return document.cookie + JSON.stringify(window.localStorage)"
        + " + JSON.stringify(window.sessionStorage) + document.documentElement.outerHTML;");
    assertThat((String) kept).as("the API key is kept nowhere in the browser a script can read")
        .doesNotContain(merchant.apiKey()).doesNotContain("keyhold_shop");

    driver.findElement(By.cssSelector("#sku-create summary")).click();
    browser.waitVisible(By.id("sku-name")).sendKeys("Steam 100 点卡");
    driver.findElement(By.id("sku-price")).sendKeys("10.00");
    driver.findElement(By.id("policy-inspection_window_seconds")).sendKeys("600");
    driver.findElement(By.id("sku-pattern")).sendKeys("^CON-[0-9A-F]{8}$");
    browser.screenshots("console-2-new-sku", "en");
    driver.findElement(By.id("sku-submit")).click();
    browser.waitText(By.id("message"), "Steam 100 点卡");
    WebElement row = browser.waitVisible(By.cssSelector("#skus-body tr[data-sku]"));
    String skuId = row.getAttribute("data-sku");
    assertThat(row.getText()).contains("Steam 100 点卡").contains("10.00").contains("10 min");

    String first = "CON-" + hex();
    String second = "CON-" + hex();
    browser.waitUntil("the new SKU chosen for the upload",
        () -> skuId.equals(driver.findElement(By.id("stock-sku")).getAttribute("value")));
    driver.findElement(By.id("stock-lines")).sendKeys(first + "\n" + held + "\n- - -\n" + second);
    driver.findElement(By.id("stock-submit")).click();
    browser.waitVisible(By.id("stock-results"));
    assertThat(results()).containsExactly("1 accepted", "2 duplicate", "3 malformed", "4 accepted");
    assertThat(browser.text("stock-summary")).contains("2 accepted, 1 duplicate, 1 malformed");
    assertThat(driver.getPageSource()).as("no key is echoed back").doesNotContain(first).doesNotContain(second)
        .doesNotContain(held);
    browser.waitText(By.cssSelector("#skus-body tr[data-sku='" + skuId + "'] td.stock"), "2 / 0 / 0");
    browser.screenshots("console-3-stock", "en");
    browser.switchLanguage("zh-CN");
    browser.waitText(By.id("stock-summary"), "");
    browser.screenshots("console-3-stock", "zh-CN");

    browser.script("window.keyholdSamePage = 'yes'; window.keyholdSeen = [];"
        + "window.setInterval(function () {"
        + "  document.querySelectorAll('#orders-body tr[data-order]').forEach(function (tr) {"
        + "    var seen = tr.getAttribute('data-order') + ' ' + tr.getAttribute('data-state');"
        + "    if (window.keyholdSeen.indexOf(seen) < 0) { window.keyholdSeen.push(seen); }"
        + "  });"
        + "}, 50);");
    Purchases.Purchase purchase = purchases.checkout(new Purchases.Shop(merchant, skuId, List.of(first, second)), 1);
    purchases.pay(purchase);
    By orderRow = By.cssSelector("#orders-body tr[data-order='" + purchase.orderId() + "']");
    browser.waitUntil("the paid order ready in the console", () -> "ready".equals(state(orderRow)));
    browser.screenshots("console-4-order-ready", "zh-CN");
    assertThat(purchases.act(purchase, "reveal").status()).isEqualTo(200);
    assertThat(purchases.act(purchase, "confirm").status()).isEqualTo(200);
    browser.waitUntil("the order released in the console", () -> "released".equals(state(orderRow)));
    // The page's own recorder looks every 50 ms: it may see the row's last state a moment after this test did.
    browser.waitUntil("the recorder saw the release", () -> Boolean.TRUE.equals(browser.script(
        "return window.keyholdSeen.indexOf(arguments[0]) >= 0;", purchase.orderId() + " released")));
    assertThat(browser.script("return window.keyholdSamePage;")).as("the page was not reloaded").isEqualTo("yes");
    @SuppressWarnings("unchecked")
    List<String> seen = (List<String>) browser.script("return window.keyholdSeen;");
    assertThat(seen).as("the states the row showed, in order")
        .contains(purchase.orderId() + " ready", purchase.orderId() + " released");
    assertThat(seen.indexOf(purchase.orderId() + " ready")).isLessThan(seen.indexOf(purchase.orderId() + " released"));
    assertThat(driver.findElement(orderRow).getText()).contains("已结算");
    browser.screenshots("console-5-order-released", "zh-CN");
    browser.switchLanguage("en");
    browser.waitText(orderRow, "released");
    browser.screenshots("console-5-order-released", "en");

    driver.findElement(By.id("sign-out")).click();
    browser.waitUntil("the sign-in form again", () -> "false".equals(bodyAttribute("data-signed-in")));
    driver.navigate().refresh();
    browser.waitVisible(By.id("api-key"));
    assertThat(bodyAttribute("data-signed-in")).as("signed out for good, also after a reload").isEqualTo("false");
  }

  @Test
  void anOperatorDecidesADisputePerUnitAndSeesTheMoneyMoveInTheAuditTotals() {
    Purchases.Shop shop = purchases.stockShop(2, null);
    Purchases.Purchase purchase = purchases.readyOrder(shop, 2);
    assertThat(purchases.act(purchase, "reveal").status()).isEqualTo(200);
    TestGateway.Response opened = gw.post(purchase.path("/disputes"), purchase.token(),
        new JsonObject().put("reason", "key_invalid").put("text", "第二张卡密显示已被使用").encode());
    assertThat(opened.status()).as("%s", opened).isEqualTo(200);
    String disputeId = "dsp_" + purchase.orderId().substring("ord_".length());

    driver.get(gw.baseUrl() + "/ops?lang=en");
    browser.waitVisible(By.id("admin-token")).sendKeys(gw.adminToken());
    driver.findElement(By.id("signin-submit")).click();
    browser.waitUntil("the console after sign-in", () -> "true".equals(bodyAttribute("data-signed-in")));
    By dispute = By.cssSelector("article[data-dispute='" + disputeId + "']");
    browser.waitText(dispute, "第二张卡密显示已被使用");
    browser.waitUntil("the evidence's signature checked",
        () -> !driver.findElements(By.cssSelector("article[data-dispute='" + disputeId + "'] [data-verified='true']")).isEmpty());
    assertThat(driver.findElement(dispute).getText()).contains("order.placed").contains("verified");
    long refundsBefore = minor("audit-CNY-refunds");
    long releasedBefore = minor("audit-CNY-released");
    assertThat(browser.text("audit-status")).contains("All invariants hold");
    browser.screenshots("ops-1-dispute", "en");
    browser.switchLanguage("zh-CN");
    browser.waitText(By.id("audit-status"), "不变量");
    browser.screenshots("ops-1-dispute", "zh-CN");

    String prefix = "award-" + disputeId + "-";
    driver.findElement(By.id(prefix + "0-release")).click();
    driver.findElement(By.id(prefix + "1-refund")).click();
    driver.findElement(By.cssSelector("button[data-decide='" + disputeId + "']")).click();
    browser.waitVisible(By.id("confirm-yes"));
    assertThat(browser.text("confirm-text")).as("the confirmation states the money")
        .contains("10.00").contains("1");
    browser.screenshots("ops-2-confirm", "zh-CN");
    driver.findElement(By.id("confirm-yes")).click();

    browser.waitUntil("the refund in the audit totals", () -> minor("audit-CNY-refunds") == refundsBefore + 1000);
    browser.waitUntil("the release in the audit totals", () -> minor("audit-CNY-released") > releasedBefore);
    assertThat(browser.text("audit-status")).contains("所有不变量均成立");
    assertThat(driver.findElements(dispute)).as("the decided dispute left the desk").isEmpty();
    browser.screenshots("ops-3-decided", "zh-CN");
    browser.switchLanguage("en");
    browser.waitText(By.id("audit-status"), "All invariants hold");
    browser.screenshots("ops-3-decided", "en");

    // The shop is suspended from the merchant list, after a confirmation; its key stops working.
    By merchantRow = By.cssSelector("#merchants-body tr[data-merchant='" + shop.merchant().id() + "']");
    browser.waitVisible(merchantRow).findElement(By.cssSelector("button.danger")).click();
    browser.waitVisible(By.id("confirm-yes"));
    assertThat(browser.text("confirm-text")).contains("Suspend");
    driver.findElement(By.id("confirm-yes")).click();
    browser.waitUntil("the merchant suspended",
        () -> "suspended".equals(driver.findElement(merchantRow).getAttribute("data-status")));
    assertThat(gw.query("SELECT status FROM merchants WHERE id = $1", shop.merchant().id()).get(0).getString("status"))
        .isEqualTo("suspended");
    browser.screenshots("ops-4-merchants", "en");
  }

  private long minor(String id) {
    List<WebElement> found = driver.findElements(By.id(id));
    return found.isEmpty() ? -1 : Long.parseLong(found.get(0).getAttribute("data-minor"));
  }

  private List<String> results() {
    List<String> lines = new ArrayList<>();
    for (WebElement item : driver.findElements(By.cssSelector("#stock-result-list li"))) {
      lines.add(item.getAttribute("data-line") + " " + item.getAttribute("data-result"));
    }
    return lines;
  }

  private String state(By row) {
    List<WebElement> found = driver.findElements(row);
    return found.isEmpty() ? null : found.get(0).getAttribute("data-state");
  }

  private String bodyAttribute(String name) {
    return driver.findElement(By.tagName("body")).getAttribute(name);
  }

  private static String hex() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 8).toUpperCase(Locale.ROOT);
  }
}
