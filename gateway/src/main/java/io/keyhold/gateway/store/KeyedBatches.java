package io.keyhold.gateway.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Statements by key, many keys to a statement: reads (a buyer's view, which Idempotency-Keys have a record) and
 * writes that each touch their own key's row (an answer completing its own claim). A key asked while none of its
 * kind is under way goes on the next turn of the event loop with whatever else was asked in this one; keys asked
 * while one is under way wait for it and then go together, up to {@code keysMax} keys a statement. Under light load
 * a key goes alone and at once; in a spike PostgreSQL runs one statement for a crowd instead of one each, which is
 * where its time went (a statement's own cost and, for a write, its commit; not the row itself).
 *
 * <p>One queue per Vert.x context (event loop), so its state has one thread and the answers come back on the
 * context that asked. A statement that fails for several keys is run again for each key alone, so one bad key
 * fails only its own; a write's statement is atomic, so a failed one wrote nothing to run twice. Off Vert.x (a
 * test, start-up) a key goes alone.
 *
 * @param <K> the key (a record, compared by value)
 * @param <V> what the statement answers for a key; a key it answers nothing for is answered null
 */
public final class KeyedBatches<K, V> {
  /** Keys in one statement, at most, for one whose statement names none: enough for a spike, small for a row set. */
  public static final int KEYS_MAX = 256;

  private final Function<List<K>, Future<Map<K, V>>> statement;
  private final int keysMax;

  /**
   * @param statement runs the given keys (distinct, at most {@code keysMax}) in one statement; answers by key what it
   *     found or wrote (keys it has nothing for left out)
   * @param keysMax the most keys one statement takes
   */
  public KeyedBatches(Function<List<K>, Future<Map<K, V>>> statement, int keysMax) {
    if (keysMax < 1) {
      throw new IllegalArgumentException("keysMax must be at least 1, but was " + keysMax);
    }
    this.statement = Objects.requireNonNull(statement, "statement");
    this.keysMax = keysMax;
  }

  /** What the statement answers for {@code key} (null: nothing), run with the keys asked beside it. */
  public Future<V> ask(K key) {
    Objects.requireNonNull(key, "key");
    Context context = Vertx.currentContext();
    if (context == null) {
      return alone(key);
    }
    Lane lane = context.get(this);
    if (lane == null) {
      lane = new Lane(context);
      context.put(this, lane);
    }
    return lane.ask(key);
  }

  /** A statement's rows by {@code key}, each answered as {@code value}: what a {@code statement} of theirs answers. */
  public static <K, V> Map<K, V> byKey(RowSet<Row> rows, Function<Row, K> key, Function<Row, V> value) {
    Map<K, V> found = new HashMap<>();
    for (Row row : rows) {
      found.put(key.apply(row), value.apply(row));
    }
    return found;
  }

  private Future<V> alone(K key) {
    return statement.apply(List.of(key)).map(found -> found.get(key));
  }

  private record Asked<K, V>(K key, Promise<V> answer) {}

  /** The keys of one context: asked, and whether a statement is under way. Touched only on that context. */
  private final class Lane {
    private final Context context;
    private final ArrayDeque<Asked<K, V>> waiting = new ArrayDeque<>();
    private boolean busy;

    Lane(Context context) {
      this.context = context;
    }

    Future<V> ask(K key) {
      Promise<V> answer = Promise.promise();
      waiting.add(new Asked<>(key, answer));
      if (!busy) {
        busy = true;
        // The next turn, so that what this turn still asks goes in the same statement.
        context.runOnContext(ignored -> next());
      }
      return answer.future();
    }

    private void next() {
      if (waiting.isEmpty()) {
        busy = false;
        return;
      }
      Map<K, List<Promise<V>>> batch = new LinkedHashMap<>();
      while (!waiting.isEmpty() && (batch.size() < keysMax || batch.containsKey(waiting.peek().key()))) {
        Asked<K, V> asked = waiting.poll();
        batch.computeIfAbsent(asked.key(), key -> new ArrayList<>(1)).add(asked.answer());
      }
      assert batch.size() <= keysMax : "a statement of " + batch.size() + " keys";
      List<K> keys = List.copyOf(batch.keySet());
      run(keys).onComplete(done -> {
        if (done.succeeded()) {
          batch.forEach((key, answers) -> answers.forEach(answer -> answer.complete(done.result().get(key))));
          next();
        } else if (keys.size() == 1) {
          batch.values().forEach(answers -> answers.forEach(answer -> answer.fail(done.cause())));
          next();
        } else {
          eachAlone(batch).onComplete(ignored -> next());
        }
      });
    }

    private Future<Map<K, V>> run(List<K> keys) {
      try {
        return statement.apply(keys);
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }

    /** The keys of a failed statement, each run in its own, one after another. */
    private Future<Void> eachAlone(Map<K, List<Promise<V>>> batch) {
      Future<Void> chain = Future.succeededFuture();
      for (Map.Entry<K, List<Promise<V>>> entry : batch.entrySet()) {
        chain = chain.eventually(() -> run(List.of(entry.getKey())).onComplete(done -> entry.getValue().forEach(
            answer -> {
              if (done.succeeded()) {
                answer.complete(done.result().get(entry.getKey()));
              } else {
                answer.fail(done.cause());
              }
            })).mapEmpty());
      }
      return chain;
    }
  }
}
