package io.keyhold.simulator.load;

import io.keyhold.simulator.env.Shop;
import io.keyhold.simulator.report.Outcome;
import io.keyhold.simulator.report.Phase;
import io.keyhold.simulator.report.ProgressSnapshot;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lets the planned buyers in at their arrival times, at most {@code maxInFlight} at once (the others
 * wait for a place, and the wait is measured), and completes when every buyer is done. At the run's
 * stop every buyer's waits end by themselves; whoever is still inside {@link #STOP_GRACE_MS} later
 * (a call still in flight) is counted unfinished, so the crowd always completes.
 *
 * <p>Start it on the simulation's event-loop context; everything it does runs there.
 */
public final class Crowd {
  /** How often due arrivals are let in. */
  public static final long TICK_MS = 5;
  /** How often the progress snapshot is refreshed. */
  public static final long SNAPSHOT_MS = 250;
  /** How often the simulator's own event loop is probed for lateness ({@link Phase#SIMULATOR_LAG}). */
  public static final long LAG_PROBE_MS = 20;
  /** After the stop, how long calls in flight may still finish. */
  public static final long STOP_GRACE_MS = 5_000;

  private final RunContext run;
  private final List<BuyerPlan> plans;
  private final List<Shop> shops;
  private final AtomicReference<ProgressSnapshot> progress;
  private final Promise<Void> done = Promise.promise();
  private final boolean[] finished;
  private int arrived;
  private int admitted;
  private int finishedCount;
  private long tickTimer = -1;
  private long snapshotTimer = -1;
  private long stopTimer = -1;
  private long lagTimer = -1;
  private LagProbe lagProbe;

  public Crowd(RunContext run, List<BuyerPlan> plans, List<Shop> shops, AtomicReference<ProgressSnapshot> progress) {
    this.run = run;
    this.plans = plans;
    this.shops = shops;
    this.progress = progress;
    this.finished = new boolean[plans.size()];
  }

  /** Starts letting buyers in; completes when all are done (or given up at the stop). */
  public Future<Void> run() {
    progress.set(run.metrics().snapshot());
    snapshotTimer = run.vertx().setPeriodic(SNAPSHOT_MS, id -> progress.set(run.metrics().snapshot()));
    lagProbe = new LagProbe(LAG_PROBE_MS, System.nanoTime());
    lagTimer = run.vertx().setPeriodic(LAG_PROBE_MS, id -> probeLag());
    stopTimer = run.vertx().setTimer(Math.max(1, run.stopAtMs() + STOP_GRACE_MS - run.nowMs()), id -> giveUp());
    if (plans.isEmpty()) {
      end();
    } else {
      tickTimer = run.vertx().setPeriodic(TICK_MS, id -> tick());
      tick();
    }
    return done.future();
  }

  /** Records how late the probe ran against its due time: time this loop spent on other work, or waiting for a core. */
  private void probeLag() {
    run.metrics().recordMs(Phase.SIMULATOR_LAG, lagProbe.lateMs(System.nanoTime()));
  }

  private void tick() {
    long elapsed = run.nowMs() - run.startMs();
    while (arrived < plans.size() && plans.get(arrived).arrivalMs() <= elapsed) {
      arrived++;
      run.metrics().arrived();
    }
    admit();
    if (arrived == plans.size() && tickTimer >= 0) {
      run.vertx().cancelTimer(tickTimer);
      tickTimer = -1;
    }
  }

  private void admit() {
    boolean stopped = run.nowMs() >= run.stopAtMs();
    while (admitted < arrived && (stopped || run.metrics().inFlight() < run.config().maxInFlight())) {
      BuyerPlan plan = plans.get(admitted++);
      run.metrics().started();
      if (stopped) {
        // Arrived but never let in before the stop: no order was placed.
        finish(plan, Outcome.UNFINISHED);
        continue;
      }
      new VirtualBuyer(run, plan, shops.get(plan.shop())).visit()
          .onComplete(result -> finish(plan, result.succeeded() ? result.result() : Outcome.ERROR));
    }
  }

  private void finish(BuyerPlan plan, Outcome outcome) {
    if (finished[plan.index()]) {
      return;
    }
    finished[plan.index()] = true;
    finishedCount++;
    run.metrics().finished(outcome);
    if (finishedCount == plans.size()) {
      end();
    } else {
      admit();
    }
  }

  /** At the stop plus grace: counts whoever is still inside, or still waiting for a place, as unfinished. */
  private void giveUp() {
    stopTimer = -1;
    while (arrived < plans.size()) {
      arrived++;
      run.metrics().arrived();
    }
    admit();
    for (int i = 0; i < admitted; i++) {
      if (!finished[i]) {
        finish(plans.get(i), Outcome.UNFINISHED);
      }
    }
  }

  private void end() {
    for (long timer : new long[] {tickTimer, snapshotTimer, stopTimer, lagTimer}) {
      if (timer >= 0) {
        run.vertx().cancelTimer(timer);
      }
    }
    tickTimer = snapshotTimer = stopTimer = lagTimer = -1;
    progress.set(run.metrics().snapshot());
    run.arbiter().stop();
    done.tryComplete();
  }
}
