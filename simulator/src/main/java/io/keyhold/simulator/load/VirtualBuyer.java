package io.keyhold.simulator.load;

import io.keyhold.simulator.PaymentRail;
import io.keyhold.simulator.client.Amount;
import io.keyhold.simulator.client.ApiProblem;
import io.keyhold.simulator.client.CallTiming;
import io.keyhold.simulator.client.CheckoutSession;
import io.keyhold.simulator.client.FollowTimeoutException;
import io.keyhold.simulator.client.OrderFollower;
import io.keyhold.simulator.client.OrderView;
import io.keyhold.simulator.env.Shop;
import io.keyhold.simulator.report.Outcome;
import io.keyhold.simulator.report.Phase;
import io.keyhold.simulator.report.RunMetrics;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One buyer, through the public API only: the shop creates a checkout session for it, it pays
 * through the sandbox or, as a browser does, through the gateway's checkout provider at an epay site (the way
 * its {@link PaymentMove} says), follows its order, and once the keys
 * are ready does what its {@link Behaviour} says (confirm, dispute, cancel, only inspect), then
 * follows the order to its end. Every wait ends at the run's stop at the latest.
 *
 * <p>Used on the simulation's event-loop context only.
 */
final class VirtualBuyer {
  /** How long after the pay deadline a late payer pays. */
  static final long LATE_BY_MS = 2_000;
  /** The problem code of a checkout whose shop could not be reached. */
  static final String MERCHANT_UNAVAILABLE = "merchant_unavailable";
  /** A dispute reason of the buyer API. */
  static final String DISPUTE_REASON = "key_invalid";
  static final String DISPUTE_TEXT = "simulated dispute: the key does not work";
  /**
   * A buyer told sold out while unpaid checkouts hold keys looks again no sooner than this (or their first pay
   * deadline, if later) and a spread of up to {@link #COME_BACK_SPREAD_MS} more: as a page refreshed now and then,
   * not as a crowd arriving at one instant.
   */
  static final long COME_BACK_EVERY_MS = 2_000;
  static final long COME_BACK_SPREAD_MS = 1_000;
  /** After a pay deadline, how long an expired order's keys may take to come back (the sweeper, the cancel). */
  static final long COME_BACK_AFTER_DEADLINE_MS = 1_000;
  /** The most times a buyer looks again, whatever its patience. */
  static final int COME_BACKS_MAX = 30;
  /** A buyer does not look again this close to the run's stop: what it bought could not be paid and delivered. */
  static final long COME_BACK_BEFORE_STOP_MS = 10_000;

  private final RunContext run;
  private final BuyerPlan plan;
  private final Shop shop;
  private final Amount unitPrice;
  private final Map<String, Long> firstSeenMs = new HashMap<>();
  private String sessionId;
  private String orderId;
  private String token;
  private String state;
  private long payPressedAtMs = -1;
  /** The order followed since it was paid for: one stream for all the buyer's waits, as its page keeps one. */
  private OrderFollower.Following following;

  VirtualBuyer(RunContext run, BuyerPlan plan, Shop shop) {
    this.run = run;
    this.plan = plan;
    this.shop = shop;
    this.unitPrice = new Amount(run.config().priceMinor(), run.config().currency());
  }

  /** The whole visit; never fails, every failure is an {@link Outcome}. */
  Future<Outcome> visit() {
    long arrivalAtMs = run.startMs() + plan.arrivalMs();
    run.metrics().recordMs(Phase.ADMISSION_WAIT, run.nowMs() - arrivalAtMs);
    return checkout(arrivalAtMs, 0, -1);
  }

  /**
   * Asks the shop for a checkout; told sold out while unpaid checkouts hold keys, looks again as its patience
   * ({@link io.keyhold.simulator.SimulationConfig#comeBackWithinSeconds()}) allows, from {@code firstSoldOutAtMs}
   * (-1: not told yet). Each look is a new checkout (its own Idempotency-Key).
   */
  private Future<Outcome> checkout(long arrivalAtMs, int comeBacks, long firstSoldOutAtMs) {
    long checkoutStartNs = System.nanoTime();
    CallTiming timing = new CallTiming();
    String idempotencyKey = run.runId() + "-checkout-" + plan.index() + (comeBacks == 0 ? "" : "-again-" + comeBacks);
    return run.client().merchant().createCheckout(shop.apiKey(), shop.skuId(), plan.quantity(), plan.buyerRef(),
            idempotencyKey, timing)
        .transform(result -> {
          long micros = (System.nanoTime() - checkoutStartNs) / 1_000;
          // A buyer told to come back waited in the gateway's line, whatever the end: that wait is its own
          // phase, and the checkout is what followed it (the served attempt); the two add up to the whole call.
          if (timing.placeGiven()) {
            long waited = timing.waitingRoomMicros();
            run.metrics().record(Phase.WAITING_ROOM, waited);
            micros -= waited;
          }
          if (result.failed()) {
            Outcome outcome = checkoutFailed(result.cause(), micros, comeBacks == 0);
            long soldOutAtMs = firstSoldOutAtMs < 0 ? run.nowMs() : firstSoldOutAtMs;
            long backAtMs = outcome == Outcome.SOLD_OUT ? comeBackAtMs(result.cause(), comeBacks, soldOutAtMs) : -1;
            if (backAtMs < 0) {
              return Future.succeededFuture(outcome);
            }
            run.metrics().count(RunMetrics.Series.CAME_BACK);
            return run.pause(backAtMs - run.nowMs())
                .compose(waited -> checkout(arrivalAtMs, comeBacks + 1, soldOutAtMs));
          }
          run.metrics().record(Phase.CHECKOUT, micros);
          run.metrics().count(RunMetrics.Series.CHECKOUTS);
          if (comeBacks > 0) {
            run.metrics().count(RunMetrics.Series.BOUGHT_ON_COMING_BACK);
          }
          return placed(result.result(), arrivalAtMs);
        });
  }

  /**
   * When a buyer told sold out ({@code soldOut}) looks again: no sooner than {@link #COME_BACK_EVERY_MS} nor than
   * the first held key's pay deadline, spread by the buyer's index; -1 when it leaves: nothing is held, its patience
   * or its looks are used up, or the run stops first.
   */
  private long comeBackAtMs(Throwable soldOut, int comeBacks, long firstSoldOutAtMs) {
    long patienceMs = run.config().comeBackWithinSeconds() * 1_000L;
    if (patienceMs == 0 || comeBacks >= COME_BACKS_MAX || !(soldOut instanceof ApiProblem problem)
        || problem.heldUnits() <= 0 || problem.heldUntilMs() == ApiProblem.NOT_SAID) {
      return -1;
    }
    long now = run.nowMs();
    long spread = Math.floorMod(plan.index() * 7_919L + comeBacks * 104_729L, COME_BACK_SPREAD_MS + 1);
    long at = Math.max(now + COME_BACK_EVERY_MS, problem.heldUntilMs() + COME_BACK_AFTER_DEADLINE_MS) + spread;
    return at - firstSoldOutAtMs <= patienceMs && at < run.stopAtMs() - COME_BACK_BEFORE_STOP_MS ? at : -1;
  }

  /** The outcome of a failed checkout; {@code firstLook}: the buyer's first ask (not a look again). */
  private Outcome checkoutFailed(Throwable failure, long micros, boolean firstLook) {
    if (run.nowMs() >= run.stopAtMs()) {
      // The run ended while this buyer waited (in the client's queue, or for a slow answer).
      run.error("createCheckout still waiting at the stop");
      return Outcome.UNFINISHED;
    }
    if (failure instanceof ApiProblem problem) {
      if (problem.outOfStock()) {
        run.metrics().record(Phase.CHECKOUT, micros);
        if (firstLook && problem.heldUnits() > 0) {
          run.metrics().count(RunMetrics.Series.SOLD_OUT_WHILE_HELD);
        }
        return Outcome.SOLD_OUT;
      }
      run.error("createCheckout " + problem.status() + " " + problem.code());
      if (MERCHANT_UNAVAILABLE.equals(problem.code())) {
        return Outcome.SHOP_UNAVAILABLE;
      }
      if (problem.status() == 503 || problem.status() == 429) {
        return Outcome.OVERLOADED;
      }
      return problem.status() >= 400 && problem.status() < 500 ? Outcome.REJECTED : Outcome.ERROR;
    }
    run.error("createCheckout " + failure.getClass().getSimpleName());
    return Outcome.ERROR;
  }

  private Future<Outcome> placed(CheckoutSession session, long arrivalAtMs) {
    sessionId = session.id();
    orderId = session.orderId();
    token = session.orderToken();
    run.books().opened(orderId, plan.buyerRef(), shop.skuId(), plan.quantity(), unitPrice);
    moved(OrderView.AWAITING_PAYMENT);
    if (token != null) {
      run.token(orderId, token);
    } else {
      run.error("createCheckout gave no order token");
      return Future.succeededFuture(Outcome.ERROR);
    }
    if (plan.behaviour() == Behaviour.ABANDON) {
      return Future.succeededFuture(Outcome.ABANDONED);
    }
    return pay()
        .compose(paid -> follow(this::actionable))
        .compose(this::act)
        .map(last -> finished(last, arrivalAtMs))
        .recover(this::failed)
        .onComplete(ended -> {
          if (following != null) {
            following.close();
          }
        });
  }

  // ---- paying ----

  private Future<Void> pay() {
    Amount total = unitPrice.times(plan.quantity());
    Future<Boolean> due = plan.payment() == PaymentMove.LATE ? waitPastPayDeadline() : think().map(true);
    return due.compose(payNow -> {
      if (!payNow) {
        return Future.succeededFuture();
      }
      Future<Void> first = payOnce(1, total, plan.payment() == PaymentMove.REPEAT);
      return plan.payment() == PaymentMove.DOUBLE ? first.compose(ignored -> payOnce(2, total, false)) : first;
    }).recover(failure -> {
      // A payment refused (an order already expired, a sandbox error): the order goes on without it.
      run.error("pay " + describe(failure));
      return Future.succeededFuture();
    });
  }

  /** Waits until just after the pay deadline; false when the run stops first (the buyer then never pays). */
  private Future<Boolean> waitPastPayDeadline() {
    return run.client().buyer().order(orderId, token).compose(view -> {
      seen(view);
      Instant payBy = view.deadlines().get("pay_by");
      long payAt = payBy != null ? payBy.toEpochMilli() + LATE_BY_MS
          : run.nowMs() + run.config().deadlines().payWithinSeconds() * 1000L + LATE_BY_MS;
      if (payAt >= run.stopAtMs()) {
        return Future.succeededFuture(false);
      }
      return run.pause(payAt - run.nowMs()).map(true);
    });
  }

  private Future<Void> payOnce(int attempt, Amount total, boolean pressTwice) {
    return run.config().payments() == PaymentRail.EPAY ? payOnceAtSite(attempt, total, pressTwice)
        : payOnceAtSandbox(attempt, total, pressTwice);
  }

  private Future<Void> payOnceAtSandbox(int attempt, Amount total, boolean pressTwice) {
    return run.client().payer().createPayment(orderId, token, total, run.runId() + "-pay-" + orderId + "-" + attempt)
        .compose(paymentId -> {
          if (payPressedAtMs < 0) {
            payPressedAtMs = run.nowMs();
          }
          Future<?> press = run.client().payer().confirmPayment(paymentId, run.runId() + "-confirm-" + paymentId);
          // A double click: two requests at once, each its own (no shared idempotency key).
          Future<?> again = pressTwice
              ? run.client().payer().confirmPayment(paymentId, run.runId() + "-confirm-again-" + paymentId)
              : Future.failedFuture("not pressed twice");
          return Future.join(press, again).transform(ignored -> {
            if (press.succeeded() || again.succeeded()) {
              run.books().paid(orderId, paymentId, total);
              return Future.<Void>succeededFuture();
            }
            if (press.cause() instanceof ApiProblem problem && problem.status() == 0) {
              // No answer: the sandbox may have taken the money. The books accept either.
              run.books().paymentUnknown(orderId, paymentId, total);
            } else if (press.cause() instanceof ApiProblem problem && problem.status() >= 500) {
              // "Not done, retry", through every retry: by the API's word the money was not taken.
              run.books().paymentRefused(orderId, paymentId, total);
            }
            return Future.<Void>failedFuture(press.cause());
          });
        });
  }

  /**
   * The checkout page's pay button with the gateway's checkout provider at a remote site: the payment started at
   * the gateway, its pay URL followed to the site's pay page, "Pay" pressed there (twice at once for a double
   * click). The site's redirect back to the checkout page is not loaded: the buyer follows the order by its API.
   */
  private Future<Void> payOnceAtSite(int attempt, Amount total, boolean pressTwice) {
    String returnPath = sessionId == null ? null : "/checkout/" + sessionId + "?returned=1";
    return run.client().payer().startPayment(orderId, token, returnPath, run.runId() + "-start-" + orderId + "-"
            + attempt)
        .compose(started -> run.client().payer().openPaySite(started.payUrl()).compose(payPage -> {
          if (payPressedAtMs < 0) {
            payPressedAtMs = run.nowMs();
          }
          Future<Void> press = run.client().payer().payAtSite(payPage);
          Future<Void> again = pressTwice ? run.client().payer().payAtSite(payPage)
              : Future.failedFuture("not pressed twice");
          return Future.join(press, again).transform(ignored -> {
            if (press.succeeded() || again.succeeded()) {
              run.books().paid(orderId, started.paymentId(), total);
              return Future.<Void>succeededFuture();
            }
            if (press.cause() instanceof ApiProblem problem && problem.status() == 0) {
              // No answer: the site may have taken the money. The books accept either.
              run.books().paymentUnknown(orderId, started.paymentId(), total);
            }
            return Future.<Void>failedFuture(press.cause());
          });
        }));
  }

  // ---- following and acting ----

  private Future<OrderView> follow(Predicate<OrderView> until) {
    if (following == null) {
      following = run.follower().open(orderId, token, run.stopAtMs(), this::seen);
    }
    return following.until(until);
  }

  /**
   * The end of the order for this buyer. For a buyer who paid, an order that expired with nothing
   * refunded is not the end yet: the payment arrived late and is then fulfilled (the order comes
   * back) or refunded.
   */
  private boolean ended(OrderView view) {
    if (!view.terminal()) {
      return false;
    }
    boolean paid = payPressedAtMs > 0;
    boolean refunded = view.refunded() != null && view.refunded().minor() > 0;
    return !(paid && OrderView.EXPIRED.equals(view.state()) && !refunded);
  }

  private boolean actionable(OrderView view) {
    return ended(view) || OrderView.READY.equals(view.state()) || OrderView.INSPECTION.equals(view.state())
        || OrderView.DISPUTED.equals(view.state());
  }

  private Future<OrderView> act(OrderView view) {
    if (ended(view)) {
      return Future.succeededFuture(view);
    }
    if (!OrderView.READY.equals(view.state())) {
      return follow(this::ended);
    }
    Future<?> action = switch (plan.behaviour()) {
      case CANCEL -> think().compose(v -> run.client().buyer().cancel(orderId, token)).map(this::seen);
      case CONFIRM -> reveal().compose(v -> think()).compose(v -> run.client().buyer().confirm(orderId, token))
          .map(this::seen);
      case DISPUTE -> reveal().compose(v -> think())
          .compose(v -> run.client().buyer().dispute(orderId, token, DISPUTE_REASON, DISPUTE_TEXT))
          .compose(answer -> run.arbiter().disputed(orderId, answer, plan.award()));
      case INSPECT -> reveal();
      case ABANDON -> Future.succeededFuture();
    };
    return action.transform(result -> {
      if (result.failed()) {
        run.error(plan.behaviour().code() + " " + describe(result.cause()));
      }
      return follow(this::ended);
    });
  }

  private Future<Void> reveal() {
    return think().compose(v -> run.client().buyer().reveal(orderId, token)).map(revealed -> {
      run.books().revealed(orderId, revealed, Instant.ofEpochMilli(run.nowMs()));
      seen(revealed);
      return null;
    });
  }

  private Future<Void> think() {
    return run.pause(plan.thinkMs());
  }

  private OrderView seen(OrderView view) {
    run.books().observed(view, Instant.ofEpochMilli(run.nowMs()));
    moved(view.state());
    return view;
  }

  private void moved(String to) {
    if (!to.equals(state)) {
      run.metrics().stateChanged(state, to);
      state = to;
      firstSeenMs.putIfAbsent(to, run.nowMs());
    }
  }

  // ---- the end ----

  private Outcome finished(OrderView last, long arrivalAtMs) {
    Outcome outcome = Outcome.ofTerminalState(last.state());
    if (outcome == null) {
      return Outcome.UNFINISHED;
    }
    long funded = at(last, "order.funded", OrderView.FUNDED);
    long ready = at(last, "order.ready", OrderView.READY);
    long released = at(last, "order.released", OrderView.RELEASED);
    if (payPressedAtMs > 0 && funded > 0) {
      run.metrics().recordMs(Phase.PAY_TO_FUNDED, funded - payPressedAtMs);
    }
    if (funded > 0 && ready > 0) {
      run.metrics().recordMs(Phase.FUNDED_TO_READY, ready - funded);
    }
    if (ready > 0 && released > 0 && outcome == Outcome.RELEASED) {
      run.metrics().recordMs(Phase.READY_TO_RELEASED, released - ready);
    }
    run.metrics().recordMs(Phase.LIFECYCLE, run.nowMs() - arrivalAtMs);
    return outcome;
  }

  /** When an event first happened: the gateway's timeline if it says, else when the buyer first saw the state. */
  private long at(OrderView view, String event, String stateSeen) {
    Instant instant = view.timeline().get(event);
    if (instant != null) {
      return instant.toEpochMilli();
    }
    return firstSeenMs.getOrDefault(stateSeen, -1L);
  }

  private Future<Outcome> failed(Throwable failure) {
    if (failure instanceof FollowTimeoutException) {
      return Future.succeededFuture(Outcome.UNFINISHED);
    }
    run.error("follow " + describe(failure));
    return Future.succeededFuture(Outcome.ERROR);
  }

  private static String describe(Throwable failure) {
    return failure instanceof ApiProblem problem ? problem.status() + " " + problem.code()
        : failure.getClass().getSimpleName();
  }
}
