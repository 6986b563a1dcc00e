package io.keyhold.gateway.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cap on the requests of one kind being served at once. A request past the cap is answered 503
 * {@code overloaded} with {@code Retry-After} at once, before it authenticates or touches the
 * database, so a spike of one kind (checkouts in a flash sale) cannot fill the database pool's queue
 * and starve the requests that move money (payments, reveals, the sweeper).
 */
public final class InFlightLimit {
  private final String name;
  private final int max;
  private final AtomicInteger inFlight = new AtomicInteger();

  public InFlightLimit(String name, int max) {
    if (max < 1) {
      throw new IllegalArgumentException(name + " in flight max must be at least 1, but was " + max);
    }
    this.name = name;
    this.max = max;
  }

  /** Takes a place; false (and nothing taken) when all {@link #max()} places are taken. */
  public boolean tryEnter() {
    while (true) {
      int now = inFlight.get();
      if (now >= max) {
        return false;
      }
      if (inFlight.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  /** Gives a place back; each successful {@link #tryEnter()} gives back exactly one. */
  public void exit() {
    int left = inFlight.decrementAndGet();
    assert left >= 0 : name + " left more requests than entered";
  }

  public int inFlight() {
    return inFlight.get();
  }

  public int max() {
    return max;
  }

  /** The route handler: lets a request on while it holds a place, which it gives back when its answer ends. */
  public Handler<RoutingContext> handler() {
    return ctx -> {
      if (!tryEnter()) {
        ctx.fail(new ProblemException(ProblemCode.OVERLOADED,
            "Too many " + name + " requests are being served; retry after the given delay"));
        return;
      }
      ctx.addEndHandler(ended -> exit());
      ctx.next();
    };
  }
}
