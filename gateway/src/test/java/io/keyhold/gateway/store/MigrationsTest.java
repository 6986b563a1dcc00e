package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MigrationsTest {
  private static final int STARTED_TOGETHER = 3;
  private static final long MIGRATE_WITHIN_SECONDS = 120;
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

  @Test
  void gatewaysMigratingOneDatabaseAtOnceApplyEachMigrationOnce() throws Exception {
    // Instances started together each migrate; one applies everything, the others find it done. An index built
    // CONCURRENTLY waits for open transactions, so a lock held in one (the others' wait for it) would hang it.
    DatabaseLocation database = TestDatabase.fresh();
    ExecutorService starts = Executors.newFixedThreadPool(STARTED_TOGETHER);
    try {
      List<Future<Integer>> applied = new ArrayList<>();
      for (int i = 0; i < STARTED_TOGETHER; i++) {
        applied.add(starts.submit(() -> Migrations.apply(database)));
      }
      List<Integer> counts = new ArrayList<>();
      for (Future<Integer> one : applied) {
        counts.add(one.get(MIGRATE_WITHIN_SECONDS, TimeUnit.SECONDS));
      }

      assertThat(counts.stream().filter(n -> n > 0).toList()).as("applied by one instance").hasSize(1);
      assertThat(Migrations.apply(database)).as("nothing left to apply").isZero();
    } finally {
      starts.shutdownNow();
      TestDatabase.drop(database);
    }
  }
}
