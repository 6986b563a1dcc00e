package io.keyhold.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.simulator.testing.OnContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void everyItemIsWorkedOnWithNeverMoreThanTheLimitInFlight() throws Exception {
    List<Integer> items = IntStream.range(0, 200).boxed().toList();
    List<Integer> done = new ArrayList<>();
    int[] inFlight = {0};
    int[] peak = {0};

    OnContext.await(vertx, () -> Parallel.each(items, 7, item -> {
      inFlight[0]++;
      peak[0] = Math.max(peak[0], inFlight[0]);
      Future<?> work = item % 3 == 0 ? Future.failedFuture("item " + item + " fails")
          : vertx.timer(1).map(fired -> done.add(item));
      return work.onComplete(result -> inFlight[0]--);
    }), 30);

    assertThat(peak[0]).isEqualTo(7);
    assertThat(done).hasSize(133).doesNotHaveDuplicates();
  }

  @Test
  void tenThousandItemsThatCompleteAtOnceDoNotOverflowTheStack() throws Exception {
    List<Integer> items = IntStream.range(0, 10_000).boxed().toList();
    int[] count = {0};

    OnContext.await(vertx, () -> Parallel.each(items, 2, item -> {
      count[0]++;
      return Future.succeededFuture();
    }), 30);

    assertThat(count[0]).isEqualTo(10_000);
  }
}
