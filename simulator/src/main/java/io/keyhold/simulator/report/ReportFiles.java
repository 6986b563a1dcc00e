package io.keyhold.simulator.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes {@code report.json} and {@code report.html} into a folder, each through a temporary file and a move. */
public final class ReportFiles {
  public static final String JSON = "report.json";
  public static final String HTML = "report.html";

  private ReportFiles() {}

  public static void write(Path folder, RunReport report) throws IOException {
    Files.createDirectories(folder);
    writeAtomically(folder.resolve(JSON), report.toJson().encodePrettily() + "\n");
    writeAtomically(folder.resolve(HTML), ReportHtml.render(report));
  }

  private static void writeAtomically(Path target, String text) throws IOException {
    Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(temporary, text, StandardCharsets.UTF_8);
    Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
