package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The served OpenAPI document passes Redocly's CLI with its recommended rules and no error, so third-party
 * tools (client generators, fuzzers, linters) read it as the server means it. The linter is installed by
 * {@code .ci/run} into {@code .ci/node_modules}; without it the test skips and says how to install it,
 * except under CI ({@code CI=true}), where it fails.
 */
public class OpenApiLintTest {
  /** Where {@code .ci/run} installs the linter, from the repository's root. */
  static final String LINTER = ".ci/node_modules/.bin/redocly";
  static final String INSTALL = "bash .ci/run installs it; or: npm install --prefix .ci --no-save @redocly/cli@2.77.0";
  static final long LINT_TIMEOUT_SECONDS = 120;

  @Test
  void theServedDocumentHasNoLintErrors() throws Exception {
    Path linter = repositoryRoot().resolve(LINTER);
    if (!Files.isExecutable(linter)) {
      if ("true".equals(System.getenv("CI"))) {
        fail("the OpenAPI linter " + LINTER + " is missing, and CI must lint: " + INSTALL);
      }
      assumeTrue(false, "the OpenAPI linter " + LINTER + " is not installed, so the lint is skipped: " + INSTALL);
    }
    Path document = Path.of(OpenApiLintTest.class.getClassLoader().getResource(OpenApiValidation.RESOURCE).toURI());
    Path output = Files.createTempFile("redocly-lint-", ".json");
    Path errors = Files.createTempFile("redocly-lint-", ".err");
    try {
      ProcessBuilder command = new ProcessBuilder(linter.toString(), "lint", "--format=json", document.toString())
          .redirectOutput(output.toFile())
          .redirectError(errors.toFile());
      // No usage reports and no update checks from a test run.
      command.environment().put("REDOCLY_TELEMETRY", "off");
      command.environment().put("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
      Process lint = command.start();
      if (!lint.waitFor(LINT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        lint.destroyForcibly();
        fail("the linter did not finish within " + LINT_TIMEOUT_SECONDS + " s");
      }
      String json = Files.readString(output, StandardCharsets.UTF_8);
      assertThat(json).as("the linter's report (stderr: %s)", read(errors)).startsWith("{");
      JsonObject report = new JsonObject(json);
      List<String> errorLines = new ArrayList<>();
      List<String> warningLines = new ArrayList<>();
      JsonArray problems = report.getJsonArray("problems", new JsonArray());
      for (int i = 0; i < problems.size(); i++) {
        JsonObject problem = problems.getJsonObject(i);
        JsonArray locations = problem.getJsonArray("location", new JsonArray());
        String where = locations.isEmpty() ? "" : locations.getJsonObject(0).getString("pointer", "");
        String line = problem.getString("ruleId") + " " + where + ": " + problem.getString("message");
        ("error".equals(problem.getString("severity")) ? errorLines : warningLines).add(line);
      }
      warningLines.forEach(line -> System.out.println("openapi.yaml lint warning: " + line));

      assertThat(errorLines).as("lint errors in openapi.yaml").isEmpty();
      assertThat(report.getJsonObject("totals").getInteger("errors")).isZero();
    } finally {
      Files.deleteIfExists(output);
      Files.deleteIfExists(errors);
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  /** The folder holding {@code .ci/run}: the module's parent when Maven runs the tests. */
  public static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve(".ci/run"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no .ci/run above " + Path.of("").toAbsolutePath());
  }
}
