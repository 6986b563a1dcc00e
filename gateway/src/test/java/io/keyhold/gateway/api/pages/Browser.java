package io.keyhold.gateway.api.pages;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the browser tests do with a page, on the Chromium of {@link BuyerPagesBrowserTest#openChromium}: wait for an
 * element, a text or a condition (up to {@link BuyerPagesBrowserTest#WAIT}), switch the language, and save
 * screenshots at desktop and phone width under {@link BuyerPagesBrowserTest#SCREENSHOTS}.
 */
final class Browser {
  private final ChromeDriver driver;

  Browser(ChromeDriver driver) {
    this.driver = driver;
  }

  ChromeDriver driver() {
    return driver;
  }

  Object script(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  WebElement waitVisible(By by) {
    return new WebDriverWait(driver, BuyerPagesBrowserTest.WAIT).ignoring(StaleElementReferenceException.class)
        .until(d -> {
          List<WebElement> found = d.findElements(by);
          return !found.isEmpty() && found.get(0).isDisplayed() && found.get(0).isEnabled() ? found.get(0) : null;
        });
  }

  void waitText(By by, String part) {
    waitUntil("'" + part + "' in " + by, () -> {
      List<WebElement> found = driver.findElements(by);
      return !found.isEmpty() && found.get(0).getText().contains(part);
    });
  }

  void waitUntil(String what, BooleanSupplier condition) {
    new WebDriverWait(driver, BuyerPagesBrowserTest.WAIT).ignoring(StaleElementReferenceException.class)
        .withMessage(() -> "waiting for " + what + " on " + driver.getCurrentUrl())
        .until(d -> condition.getAsBoolean());
  }

  String text(String id) {
    return driver.findElement(By.id(id)).getText();
  }

  void switchLanguage(String lang) {
    driver.findElement(By.cssSelector("button[data-lang='" + lang + "']")).click();
    waitUntil("the page in " + lang, () -> lang.equals(driver.findElement(By.tagName("html")).getAttribute("lang")));
  }

  /** Saves the whole page at desktop and phone width, then goes back to the desktop size. */
  void screenshots(String name, String lang) {
    shoot(name + "-" + lang + "-desktop", BuyerPagesBrowserTest.DESKTOP);
    shoot(name + "-" + lang + "-phone", BuyerPagesBrowserTest.PHONE);
    driver.manage().window().setSize(BuyerPagesBrowserTest.DESKTOP);
  }

  private void shoot(String name, Dimension size) {
    driver.manage().window().setSize(size);
    Number height = (Number) script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight);");
    int full = Math.min(BuyerPagesBrowserTest.SHOT_HEIGHT_MAX, Math.max(size.getHeight(), height.intValue() + 140));
    driver.manage().window().setSize(new Dimension(size.getWidth(), full));
    try {
      Files.write(BuyerPagesBrowserTest.SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new IllegalStateException("could not save screenshot " + name, e);
    }
  }
}
