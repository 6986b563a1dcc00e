package io.keyhold.adapters.reference.epay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stand-in site run on its own, as the README's epay tour starts it (in the background of a terminal). */
class EpaySiteMainTest {

  @Test
  @Timeout(60)
  void startsQuietlyPrintingOnlyWhereItListens() throws Exception {
    // The module's classes and dependencies as in its runnable jar: without the tests' logback-test.xml.
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !entry.endsWith("test-classes") && !entry.endsWith("test-classes" + File.separator))
        .collect(Collectors.joining(File.pathSeparator));
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classPath, EpaySiteMain.class.getName(), "0", "1001").redirectErrorStream(true);
    builder.environment().put("EPAY_KEY", "epay-main-test-key-0123456789");
    Process process = builder.start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        lines.add(line);
        if (line.startsWith("stand-in 易支付 site on")) {
          break;
        }
      }
    } finally {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }

    assertThat(lines).last().asString().startsWith("stand-in 易支付 site on http://127.0.0.1:");
    assertThat(lines).as("lines before the site's own").hasSize(1);
  }
}
