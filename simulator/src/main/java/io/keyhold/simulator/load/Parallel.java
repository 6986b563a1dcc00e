package io.keyhold.simulator.load;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Runs asynchronous work over a list with at most a given number of items in flight. */
public final class Parallel {
  private Parallel() {}

  /**
   * Applies {@code work} to every item, {@code concurrency} at a time; completes when all are done.
   * A failed item does not stop the others. Call it on an event-loop context: the workers share an
   * index without locks.
   */
  public static <T> Future<Void> each(List<T> items, int concurrency, Function<T, Future<?>> work) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be greater than 0, but was " + concurrency);
    }
    int[] next = {0};
    List<Future<Void>> workers = new ArrayList<>();
    for (int w = 0; w < Math.min(concurrency, items.size()); w++) {
      workers.add(worker(items, next, work));
    }
    return Future.join(workers).mapEmpty();
  }

  private static <T> Future<Void> worker(List<T> items, int[] next, Function<T, Future<?>> work) {
    Future<Void> chain = Future.succeededFuture();
    // Items whose work completes at once are taken in this loop, so the recursion below stays shallow.
    while (next[0] < items.size()) {
      Future<?> item = work.apply(items.get(next[0]++));
      if (!item.isComplete()) {
        return item.transform(ignored -> worker(items, next, work));
      }
    }
    return chain;
  }
}
