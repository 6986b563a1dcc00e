package io.keyhold.gateway.store;

import static io.keyhold.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.gateway.testing.TestDatabase;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads batched against a real PostgreSQL: reads asked in one turn of an event loop go in one statement, reads asked
 * while one runs go together in the next, no statement takes more keys than its bound, and a key that breaks its
 * statement fails only its own read.
 */
class KeyedBatchesTest {
  /** Squares numbers given as text; a key that is not a number breaks the statement (a cast error). */
  private static final String SQUARES = "SELECT k, (k::int * k::int)::text AS square FROM unnest($1::text[]) AS t(k)";

  static DatabaseLocation database;
  static Vertx vertx;
  static Pool pool;

  @BeforeAll
  static void start() {
    database = TestDatabase.fresh();
    vertx = Vertx.vertx();
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(database.connectOptions())
        .using(vertx).build();
  }

  @AfterAll
  static void stop() {
    await(pool.close());
    await(vertx.close());
    TestDatabase.drop(database);
  }

  /** A batched read of squares that records the keys of every statement it runs. */
  private static KeyedBatches<String, String> squares(List<List<String>> statements, int keysMax) {
    return new KeyedBatches<>(keys -> {
      statements.add(keys);
      Tuple args = Tuple.tuple().addArrayOfString(keys.toArray(String[]::new));
      return pool.preparedQuery(SQUARES).execute(args).map(rows -> {
        Map<String, String> found = new HashMap<>();
        for (Row row : rows) {
          found.put(row.getString("k"), row.getString("square"));
        }
        return found;
      });
    }, keysMax);
  }

  /** Runs {@code asks} on one event loop context and answers what they answered. */
  private static <T> T onEventLoop(Supplier<Future<T>> asks) {
    Context context = vertx.getOrCreateContext();
    Promise<T> answered = Promise.promise();
    context.runOnContext(ignored -> asks.get().onComplete(answered));
    return await(answered.future());
  }

  private static Future<List<String>> all(List<Future<String>> reads) {
    return Future.join(new ArrayList<>(reads)).map(done -> reads.stream().map(Future::result).toList());
  }

  @Test
  void readsAskedInOneTurnGoInOneStatement() {
    List<List<String>> statements = new CopyOnWriteArrayList<>();
    KeyedBatches<String, String> reads = squares(statements, KeyedBatches.KEYS_MAX);

    List<String> answers = onEventLoop(() -> all(List.of(reads.ask("2"), reads.ask("3"), reads.ask("2"),
        reads.ask("4"))));

    assertThat(answers).containsExactly("4", "9", "4", "16");
    assertThat(statements).as("one statement, each key once").containsExactly(List.of("2", "3", "4"));
  }

  @Test
  void readsAskedWhileOneRunsGoTogetherInTheNext() {
    List<List<String>> statements = new CopyOnWriteArrayList<>();
    KeyedBatches<String, String> reads = squares(statements, KeyedBatches.KEYS_MAX);

    List<String> answers = onEventLoop(() -> {
      Future<String> first = reads.ask("5");
      List<Future<String>> later = new ArrayList<>();
      // Asked on a later turn, once the first statement is under way.
      Promise<List<String>> laterAnswers = Promise.promise();
      vertx.setTimer(1, timer -> {
        later.add(reads.ask("6"));
        later.add(reads.ask("7"));
        all(later).onComplete(laterAnswers);
      });
      return first.compose(five -> laterAnswers.future().map(rest -> {
        List<String> every = new ArrayList<>(List.of(five));
        every.addAll(rest);
        return every;
      }));
    });

    assertThat(answers).containsExactly("25", "36", "49");
    assertThat(statements).containsExactly(List.of("5"), List.of("6", "7"));
  }

  @Test
  void noStatementTakesMoreKeysThanItsBound() {
    List<List<String>> statements = new CopyOnWriteArrayList<>();
    KeyedBatches<String, String> reads = squares(statements, 2);

    List<String> answers = onEventLoop(() -> all(List.of(reads.ask("1"), reads.ask("2"), reads.ask("3"),
        reads.ask("4"), reads.ask("5"))));

    assertThat(answers).containsExactly("1", "4", "9", "16", "25");
    assertThat(statements).containsExactly(List.of("1", "2"), List.of("3", "4"), List.of("5"));
  }

  @Test
  void aKeyThatBreaksItsStatementFailsOnlyItsOwnRead() {
    List<List<String>> statements = new CopyOnWriteArrayList<>();
    KeyedBatches<String, String> reads = squares(statements, KeyedBatches.KEYS_MAX);

    List<Future<String>> asked = onEventLoop(() -> {
      List<Future<String>> each = List.of(reads.ask("8"), reads.ask("not a number"), reads.ask("9"));
      return Future.join(new ArrayList<>(each)).transform(done -> Future.succeededFuture(each));
    });

    assertThat(asked.get(0).result()).isEqualTo("64");
    assertThat(asked.get(1).failed()).isTrue();
    assertThat(asked.get(2).result()).isEqualTo("81");
    assertThat(statements).as("the batch, then each key alone").containsExactly(
        List.of("8", "not a number", "9"), List.of("8"), List.of("not a number"), List.of("9"));
  }

  @Test
  void aKeyWithNothingStoredIsAnsweredNull() {
    KeyedBatches<String, String> none = new KeyedBatches<>(keys -> Future.succeededFuture(Map.of()), 4);

    assertThat(onEventLoop(() -> none.ask("anything"))).isNull();
    assertThat(await(none.ask("off the event loop"))).isNull();
    assertThatThrownBy(() -> new KeyedBatches<String, String>(keys -> Future.succeededFuture(Map.of()), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
