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
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A cap on the API requests being served at once, with a bounded waiting room in front of it.
 *
 * <p>A request past the cap waits for a place before it authenticates or touches the database, so a spike (a
 * flash sale's checkouts) cannot fill the database pool's queue and starve the requests that move money. Two
 * kinds wait apart, and a freed place goes to the first waiting of:
 *
 * <ol>
 *   <li>requests that carry on work already under way (a payment, a reveal, an order read): they hold their
 *       place up to {@code waitMsMax}, first come first served;
 *   <li>new demand (a checkout) holding a ticket whose turn has come;
 *   <li>new demand without one, held only {@code newDemandWaitMsMax}.
 * </ol>
 *
 * <p>New demand that finds no place within its short hold is not kept hanging: it is answered at once 503
 * {@code overloaded} with its place in line, a {@value #TICKET_HEADER} ticket holding that place (see
 * {@link PlaceTickets}; nothing is kept per ticket) and a {@code Retry-After} worked out from the places ahead
 * and the pace new demand was let in lately. The ticket holds its turn, the time it was told to come back:
 * coming back then, it is let in ahead of newcomers; coming back early, it is told again. A turn, not the place,
 * is what lets a holder in, so places of buyers who never come back hold nobody up. Any other request that waits
 * too long, or finds the room full, is answered 503 {@code overloaded} with a {@code Retry-After} from the queue
 * ahead over the recent pace.
 *
 * <p>Safe from any thread: connections live on several event loops, and a waiting request is let in on its own.
 */
public final class InFlightLimit {
  /** The longest {@code Retry-After} promised; past it the estimate is too rough to be worth more. */
  public static final int RETRY_AFTER_SECONDS_MAX = 30;
  /**
   * The longest a ticket holder is told to stay away: it comes back at least this often to learn its place again,
   * since the line can speed up (a SKU sold out is answered at once) faster than any estimate foresees.
   */
  public static final int TICKET_RETRY_AFTER_SECONDS_MAX = 10;
  /** The header a place in line travels in: answered with a refused checkout, sent back with its retry. */
  public static final String TICKET_HEADER = "Keyhold-Ticket";
  /** How long a pace is measured over before it is taken again. */
  static final long PACE_WINDOW_NANOS = 1_000_000_000L;
  /** A ticket holder whose turn has come waits this long at most for a place before it is told again. */
  static final long CALLED_WAIT_MS_MAX = 250;
  /** A ticket back this much before its turn is let in as on time (Retry-After is in whole seconds, and jittered). */
  static final long EARLY_SECONDS_MAX = 1;

  private final String name;
  private final int max;
  private final int waitingMax;
  private final long waitMsMax;
  private final long newDemandWaitMsMax;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger waiting = new AtomicInteger();
  private final Queue<Waiter> carryingOn = new ConcurrentLinkedQueue<>();
  private final Queue<Waiter> called = new ConcurrentLinkedQueue<>();
  private final Queue<Waiter> newcomers = new ConcurrentLinkedQueue<>();
  /** Every place given back: the pace a carried-on request's {@code Retry-After} is worked out from. */
  private final Pace served = new Pace();
  /** New demand let in: its count is the head of the line, and its pace a ticket's {@code Retry-After}. */
  private final Pace newLetIn = new Pace();
  /** The last place handed out in line, and when. */
  private final AtomicLong lastPlace = new AtomicLong();
  private volatile long lastPlaceAtSeconds;
  private final PlaceTickets tickets = new PlaceTickets();

  /** A cap with no waiting room: past it, refused at once. */
  public InFlightLimit(String name, int max) {
    this(name, max, 0, 0, 0);
  }

  /**
   * A cap of {@code max} served at once, and up to {@code waitingMax} more waiting: a request carrying on
   * work at most {@code waitMsMax} for a place, new demand at most {@code newDemandWaitMsMax} before it is
   * given its place in line.
   */
  public InFlightLimit(String name, int max, int waitingMax, long waitMsMax, long newDemandWaitMsMax) {
    if (max < 1) {
      throw new IllegalArgumentException(name + " in flight max must be at least 1, but was " + max);
    }
    if (waitingMax < 0 || (waitingMax > 0 && (waitMsMax < 1 || newDemandWaitMsMax < 1))) {
      throw new IllegalArgumentException(name + " waiting room must hold 0 or more requests for 1 ms or more,"
          + " but was " + waitingMax + " for " + waitMsMax + " ms (new demand " + newDemandWaitMsMax + " ms)");
    }
    this.name = name;
    this.max = max;
    this.waitingMax = waitingMax;
    this.waitMsMax = waitMsMax;
    this.newDemandWaitMsMax = newDemandWaitMsMax;
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
   * Gives a place back; each successful {@link #tryEnter()} gives back exactly one. The first request waiting
   * (in the order the class comment gives) takes the place over at once.
   */
  public void exit() {
    served.tick();
    if (handOver(carryingOn) || handOver(called) || handOver(newcomers)) {
      return;
    }
    int left = inFlight.decrementAndGet();
    assert left >= 0 : name + " left more requests than entered";
  }

  private boolean handOver(Queue<Waiter> queue) {
    Waiter next;
    while ((next = queue.poll()) != null) {
      if (next.take()) {
        waiting.decrementAndGet();
        next.admit();
        return true;
      }
    }
    return false;
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

  /** Requests the waiting room's queues still refer to: those waiting, and any answered but not out yet (tests). */
  int queued() {
    return carryingOn.size() + called.size() + newcomers.size();
  }

  /**
   * Places in line handed out and not reached yet: new demand told to come back whose turn has not come (a
   * caller that gave up still counts until the line passes its place).
   */
  public long inLine() {
    return Math.max(0, lastPlace.get() - newLetIn.count());
  }

  /**
   * What a refused request is told to wait, in seconds: the requests ahead of it over the pace places
   * were freed at lately; at least 1, at most {@link #RETRY_AFTER_SECONDS_MAX}.
   */
  public int retryAfterSeconds() {
    return seconds(waiting.get() + inFlight.get() + 1, served.perSecond());
  }

  /**
   * What the holder of {@code place} is told to wait: the places ahead over the pace new demand was let in, at most
   * {@link #TICKET_RETRY_AFTER_SECONDS_MAX}.
   */
  int retryAfterSeconds(long place) {
    return Math.min(TICKET_RETRY_AFTER_SECONDS_MAX, seconds(Math.max(1, place - newLetIn.count()),
        newLetIn.perSecond()));
  }

  private static int seconds(long ahead, double perSecond) {
    // No pace measured yet (a quiet spell just ended): come back soon and be told better.
    double seconds = perSecond <= 0 ? 1 : Math.ceil(ahead / perSecond);
    return (int) Math.max(1, Math.min(RETRY_AFTER_SECONDS_MAX, seconds));
  }

  /**
   * The route handler of a request carrying on work: lets it on while it holds a place, given back when its answer
   * ends.
   */
  public Handler<RoutingContext> handler() {
    return ctx -> {
      if (tryEnter()) {
        pass(ctx, false);
        return;
      }
      hold(ctx, carryingOn, waitMsMax, false, this::refuse);
    };
  }

  /**
   * The route handler of new demand (a checkout): lets it on while it holds a place, or gives it its place in
   * line; a ticket whose turn has come goes ahead of newcomers. New demand {@code answeredAtOnce} (a checkout of a
   * SKU known sold out: one look at memory ends the buyer's wait) waits as work under way does instead.
   */
  public Handler<RoutingContext> newDemandHandler(Predicate<RoutingContext> answeredAtOnce) {
    Handler<RoutingContext> carryingOn = handler();
    return ctx -> {
      if (answeredAtOnce.test(ctx)) {
        // It leaves the line answered: the line moves on as if it had been let in.
        newLetIn.tick();
        carryingOn.handle(ctx);
        return;
      }
      long nowSeconds = nowSeconds();
      PlaceTickets.Ticket ticket = tickets.read(ctx.request().getHeader(TICKET_HEADER), nowSeconds);
      if (ticket != null && nowSeconds < ticket.dueAtSeconds() - EARLY_SECONDS_MAX) {
        // Back before its turn: keeps its place and its turn, and is told again how long.
        toldToComeBack(ctx, ticket, nowSeconds);
        return;
      }
      if (tryEnter()) {
        pass(ctx, true);
        return;
      }
      if (ticket != null) {
        // Its turn, and no place free yet: it keeps its turn, told to come back in a second.
        hold(ctx, called, CALLED_WAIT_MS_MAX, true, held -> toldToComeBack(held,
            new PlaceTickets.Ticket(ticket.place(), nowSeconds + 1), nowSeconds()));
      } else {
        hold(ctx, newcomers, newDemandWaitMsMax, true, held -> toldToComeBack(held, newPlace()));
      }
    };
  }

  /** A ticket for {@code place} with its turn at {@code dueAtSeconds}, as this limit gives one (for tests). */
  String ticket(long place, long dueAtSeconds) {
    return tickets.issue(new PlaceTickets.Ticket(place, dueAtSeconds), nowSeconds());
  }

  /** A newcomer's place at the end of the line, and its turn from the places ahead and the line's pace. */
  private void toldToComeBack(RoutingContext ctx, long place) {
    long nowSeconds = nowSeconds();
    toldToComeBack(ctx, new PlaceTickets.Ticket(place, nowSeconds + retryAfterSeconds(place)), nowSeconds);
  }

  private static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  private long newPlace() {
    long head = newLetIn.count();
    long nowSeconds = nowSeconds();
    if (nowSeconds - lastPlaceAtSeconds > 2L * TICKET_RETRY_AFTER_SECONDS_MAX) {
      // Every holder told to come back has come back or gone: places handed out and never reached (buyers who
      // left) no longer stand between a newcomer and the head.
      lastPlace.accumulateAndGet(head, Math::min);
    }
    lastPlaceAtSeconds = nowSeconds;
    return lastPlace.updateAndGet(last -> Math.max(last, head) + 1);
  }

  /**
   * Holds {@code ctx} in {@code queue} for a place, at most {@code waitMs}; past it, or past the room's size,
   * {@code refused}.
   */
  private void hold(RoutingContext ctx, Queue<Waiter> queue, long waitMs, boolean newDemand,
      Consumer<RoutingContext> refused) {
    if (waiting.incrementAndGet() > waitingMax) {
      waiting.decrementAndGet();
      refused.accept(ctx);
      return;
    }
    // Held until let in: the body handler that follows reads it then (and resumes the request). New demand
    // waits with its body read already, and a request read to its end cannot be paused.
    boolean unread = !ctx.request().isEnded();
    if (unread) {
      ctx.request().pause();
    }
    Waiter waiter = new Waiter(ctx, Vertx.currentContext(), newDemand);
    queue.add(waiter);
    waiter.timerId = waiter.context.owner().setTimer(waitMs, fired -> {
      if (waiter.take()) {
        waiting.decrementAndGet();
        leave(queue, waiter);
        if (unread) {
          // Its body is not wanted any more; flowing again, it is read and dropped.
          ctx.request().resume();
        }
        refused.accept(ctx);
      }
    });
    // A place may have come free between the full check above and joining the queue, with nobody
    // left to hand it over: take it now, or pass it on if an exit handed this request one already.
    if (tryEnter()) {
      if (waiter.take()) {
        waiting.decrementAndGet();
        leave(queue, waiter);
        waiter.admit();
      } else {
        exit();
      }
    }
  }

  /**
   * Takes a waiter answered without a hand-over out of its queue. Out of the count is not enough: left in the queue
   * until an exit polls it, it would keep its whole request in memory (over HTTP/2 a stream's too), and a spike
   * refuses thousands of newcomers before a place comes free for them. Waiters in one queue wait equally long, so
   * the one whose time is up is at or near the head and this costs little.
   */
  private static void leave(Queue<Waiter> queue, Waiter waiter) {
    queue.remove(waiter);
  }

  private void pass(RoutingContext ctx, boolean newDemand) {
    if (newDemand) {
      newLetIn.tick();
    }
    ctx.addEndHandler(ended -> exit());
    ctx.next();
  }

  private void refuse(RoutingContext ctx) {
    ctx.put(Problems.RETRY_AFTER_SECONDS_KEY, retryAfterSeconds());
    ctx.fail(new ProblemException(ProblemCode.OVERLOADED,
        "Too many " + name + " requests are being served; retry after the given delay"));
  }

  /** Answers new demand with its place in line, its turn, and the ticket that holds both. */
  private void toldToComeBack(RoutingContext ctx, PlaceTickets.Ticket place, long nowSeconds) {
    String ticket = tickets.issue(place, nowSeconds);
    long ahead = Math.max(1, place.place() - newLetIn.count());
    ctx.put(Problems.RETRY_AFTER_SECONDS_KEY, (int) Math.max(1, place.dueAtSeconds() - nowSeconds));
    ctx.response().putHeader(TICKET_HEADER, ticket);
    ctx.fail(new ProblemException(Problem.of(ProblemCode.OVERLOADED,
            "Too many " + name + " requests are being served; your place in line is " + ahead
                + ": retry after the given delay with the " + TICKET_HEADER + " header to keep it")
        .with("place", ahead).with("ticket", ticket)));
  }

  /** A count and the pace it grew at, measured over windows of {@link #PACE_WINDOW_NANOS}. */
  private static final class Pace {
    private final AtomicLong count = new AtomicLong();
    private volatile long since = System.nanoTime();
    private volatile long countAtSince;
    private volatile double perSecond;

    void tick() {
      count.incrementAndGet();
    }

    long count() {
      return count.get();
    }

    /** Per second over the last full window; 0 when none was measured since a quiet spell. */
    double perSecond() {
      long now = System.nanoTime();
      long start = since;
      long elapsed = now - start;
      if (elapsed >= PACE_WINDOW_NANOS) {
        long counted = count.get();
        // Racing threads may both measure; either figure is a fair estimate. A window much longer than one
        // spans a quiet spell, whose average would promise a crowd a wait far too long.
        perSecond = elapsed > 2 * PACE_WINDOW_NANOS ? 0 : (counted - countAtSince) * 1e9 / elapsed;
        countAtSince = counted;
        since = now;
      }
      return perSecond;
    }
  }

  /** A request waiting for a place; taken once, by an exit that hands it a place or by its timer. */
  private final class Waiter {
    final RoutingContext ctx;
    final Context context;
    final boolean newDemand;
    final AtomicBoolean taken = new AtomicBoolean();
    volatile long timerId = -1;

    Waiter(RoutingContext ctx, Context context, boolean newDemand) {
      this.ctx = ctx;
      this.context = context;
      this.newDemand = newDemand;
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
      context.runOnContext(v -> pass(ctx, newDemand));
    }
  }
}
