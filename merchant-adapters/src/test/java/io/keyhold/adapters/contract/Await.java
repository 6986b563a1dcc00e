package io.keyhold.adapters.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for a Vert.x {@code Future} from a test thread (never an event loop), with a time limit, so a
 * hang fails the test instead of stalling the build.
 */
public final class Await {

  /** How long a single step may take before the test fails. */
  public static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

  private Await() {}

  /** The future's result; its failure is rethrown as an {@link AssertionError} with the cause. */
  public static <T> T result(Future<T> future) {
    try {
      return completion(future).get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("expected success, but failed with " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("no result within " + STEP_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The future's failure; a success fails the test. */
  public static Throwable failure(Future<?> future) {
    try {
      Object value = completion(future).get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("expected a failure, but succeeded with " + value);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isNotNull();
      return e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("no outcome within " + STEP_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The future's failure, or null when it succeeded. */
  public static Throwable failureOrNull(Future<?> future) {
    try {
      completion(future).get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("no outcome within " + STEP_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static <T> CompletableFuture<T> completion(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture();
  }
}
