package io.keyhold.gateway.api;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cap on the requests of one kind being served at once, with a bounded waiting room in front of it.
 *
 * <p>A request past the cap waits for a place, first come first served, before it authenticates or
 * touches the database, so a spike of one kind (checkouts in a flash sale) cannot fill the database
 * pool's queue and starve the requests that move money (payments, reveals, the sweeper). A request that
 * finds the room full, or waits longer than the room allows, is answered 503 {@code overloaded} with a
 * {@code Retry-After} worked out from the queue ahead and the pace places were freed at lately, rather
 * than a fixed second that brings the whole crowd back at once.
 *
 * <p>Safe from any thread: connections live on several event loops, and a waiting request is let in on
 * its own.
 */
public final class InFlightLimit {
  /** The longest {@code Retry-After} promised; past it the estimate is too rough to be worth more. */
  public static final int RETRY_AFTER_SECONDS_MAX = 30;
  /** How long the pace of freed places is measured over before it is taken again. */
  static final long PACE_WINDOW_NANOS = 1_000_000_000L;

  private final String name;
  private final int max;
  private final int waitingMax;
  private final long waitMsMax;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger waiting = new AtomicInteger();
  private final Queue<Waiter> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong served = new AtomicLong();
  private volatile long paceSince = System.nanoTime();
  private volatile long servedAtPaceSince;
  private volatile double perSecond;

  /** A cap with no waiting room: past it, refused at once. */
  public InFlightLimit(String name, int max) {
    this(name, max, 0, 0);
  }

  /**
   * A cap of {@code max} served at once, and up to {@code waitingMax} more waiting at most
   * {@code waitMsMax} each for a place.
   */
  public InFlightLimit(String name, int max, int waitingMax, long waitMsMax) {
    if (max < 1) {
      throw new IllegalArgumentException(name + " in flight max must be at least 1, but was " + max);
    }
    if (waitingMax < 0 || (waitingMax > 0 && waitMsMax < 1)) {
      throw new IllegalArgumentException(name + " waiting room must hold 0 or more requests for 1 ms or more,"
          + " but was " + waitingMax + " for " + waitMsMax + " ms");
    }
    this.name = name;
    this.max = max;
    this.waitingMax = waitingMax;
    this.waitMsMax = waitMsMax;
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

  /**
   * Gives a place back; each successful {@link #tryEnter()} gives back exactly one. A request waiting
   * takes the place over at once.
   */
  public void exit() {
    served.incrementAndGet();
    Waiter next;
    while ((next = queue.poll()) != null) {
      if (next.take()) {
        waiting.decrementAndGet();
        next.admit();
        return;
      }
    }
    int left = inFlight.decrementAndGet();
    assert left >= 0 : name + " left more requests than entered";
  }

  public int inFlight() {
    return inFlight.get();
  }

  /** Requests waiting for a place now. */
  public int waiting() {
    return waiting.get();
  }

  public int max() {
    return max;
  }

  /**
   * What a refused request is told to wait, in seconds: the requests ahead of it over the pace places
   * were freed at lately; at least 1, at most {@link #RETRY_AFTER_SECONDS_MAX}.
   */
  public int retryAfterSeconds() {
    long now = System.nanoTime();
    long since = paceSince;
    if (now - since >= PACE_WINDOW_NANOS) {
      long count = served.get();
      // Racing threads may both measure; either figure is a fair estimate.
      perSecond = (count - servedAtPaceSince) * 1e9 / (now - since);
      servedAtPaceSince = count;
      paceSince = now;
    }
    double pace = Math.max(1.0, perSecond);
    double seconds = Math.ceil((waiting.get() + inFlight.get() + 1) / pace);
    return (int) Math.max(1, Math.min(RETRY_AFTER_SECONDS_MAX, seconds));
  }

  /** The route handler: lets a request on while it holds a place, which it gives back when its answer ends. */
  public Handler<RoutingContext> handler() {
    return ctx -> {
      if (tryEnter()) {
        pass(ctx);
        return;
      }
      if (waiting.incrementAndGet() > waitingMax) {
        waiting.decrementAndGet();
        refuse(ctx);
        return;
      }
      // Held until let in: the body handler that follows reads it then (and resumes the request).
      ctx.request().pause();
      Waiter waiter = new Waiter(ctx, Vertx.currentContext());
      queue.add(waiter);
      waiter.timerId = waiter.context.owner().setTimer(waitMsMax, fired -> {
        if (waiter.take()) {
          waiting.decrementAndGet();
          // Its body is not wanted any more; flowing again, it is read and dropped.
          ctx.request().resume();
          refuse(ctx);
        }
      });
      // A place may have come free between the full check above and joining the queue, with nobody
      // left to hand it over: take it now, or pass it on if an exit handed this request one already.
      if (tryEnter()) {
        if (waiter.take()) {
          waiting.decrementAndGet();
          waiter.admit();
        } else {
          exit();
        }
      }
    };
  }

  private void pass(RoutingContext ctx) {
    ctx.addEndHandler(ended -> exit());
    ctx.next();
  }

  private void refuse(RoutingContext ctx) {
    ctx.put(Problems.RETRY_AFTER_SECONDS_KEY, retryAfterSeconds());
    ctx.fail(new ProblemException(ProblemCode.OVERLOADED,
        "Too many " + name + " requests are being served; retry after the given delay"));
  }

  /** A request waiting for a place; taken once, by an exit that hands it a place or by its timer. */
  private final class Waiter {
    final RoutingContext ctx;
    final Context context;
    final AtomicBoolean taken = new AtomicBoolean();
    volatile long timerId = -1;

    Waiter(RoutingContext ctx, Context context) {
      this.ctx = ctx;
      this.context = context;
    }

    boolean take() {
      return taken.compareAndSet(false, true);
    }

    /** Lets the request on, on its own event loop, holding the place it was handed. */
    void admit() {
      long timer = timerId;
      if (timer >= 0) {
        context.owner().cancelTimer(timer);
      }
      context.runOnContext(v -> pass(ctx));
    }
  }
}
