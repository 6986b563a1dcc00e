package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line's answers to settings it cannot start with: one line on stderr, exit code 2. */
class GatewayMainTest {
  @TempDir
  Path dataDir;

  private final StringWriter err = new StringWriter();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private int run(String... args) {
    CommandLine command = new CommandLine(new GatewayMain(new PrintStream(out, true, StandardCharsets.UTF_8)));
    command.setErr(new PrintWriter(err, true));
    return command.execute(args);
  }

  private Path config(String json) throws Exception {
    Path file = dataDir.resolve("config.json");
    Files.writeString(file, json);
    return file;
  }

  @Test
  void anAdminTokenShorterThanSixteenCharactersStopsWithOneLineAndExitCodeTwo() throws Exception {
    Path config = config("{\"secrets\":{\"admin_token\":\"short-token\"}}");

    int exit = run("--data-dir", dataDir.toString(), "--config", config.toString(), "--no-demo");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString().lines().toList()).as(err.toString()).hasSize(1).first().asString()
        .contains("admin token must be at least 16 characters").doesNotContain("short-token");
    assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void aBadConfigValueStopsWithOneLineAndExitCodeTwo() throws Exception {
    Path config = config("{\"pool_max_size\": 0}");

    int exit = run("--data-dir", dataDir.toString(), "--config", config.toString(), "--no-demo");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString().lines().toList()).as(err.toString()).hasSize(1).first().asString()
        .contains("pool max size must be between 1 and 256, but was 0");
  }

  @Test
  void aStoredAdminTokenTooShortStopsWithOneLineAndExitCodeTwo() throws Exception {
    Files.writeString(dataDir.resolve("secrets.properties"), "admin.token=tiny\n");

    int exit = run("--data-dir", dataDir.toString(), "--no-demo");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString().lines().toList()).as(err.toString()).hasSize(1).first().asString()
        .contains("admin token must be at least 16 characters").doesNotContain("tiny");
  }
}
