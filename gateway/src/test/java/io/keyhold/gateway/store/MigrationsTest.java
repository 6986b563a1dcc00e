package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.TestDatabase;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MigrationsTest {
  private static final Pattern VERSION = Pattern.compile("at schema version (\\S+) \\((\\d+) migrations applied now\\)");

  @Test
  void anAlreadyMigratedDatabaseLogsItsRealSchemaVersion() {
    DatabaseLocation database = TestDatabase.fresh();
    try (CapturedLogs logs = CapturedLogs.start()) {
      int first = Migrations.apply(database);
      int second = Migrations.apply(database);

      assertThat(first).isPositive();
      assertThat(second).isZero();
      List<Matcher> lines = logs.messages().stream()
          .filter(line -> line.contains(Migrations.class.getName()))
          .map(VERSION::matcher)
          .filter(Matcher::find)
          .toList();
      assertThat(lines).hasSize(2);
      String newest = lines.get(0).group(1);
      assertThat(newest).matches("\\d+");
      assertThat(lines.get(1).group(1)).as("the version logged on a database migrated already").isEqualTo(newest);
      assertThat(lines.get(1).group(2)).isEqualTo("0");
    } finally {
      TestDatabase.drop(database);
    }
  }
}
