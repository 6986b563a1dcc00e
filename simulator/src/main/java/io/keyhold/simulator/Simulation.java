package io.keyhold.simulator;

import io.keyhold.simulator.audit.AuditResult;
import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.audit.LedgerAudit;
import io.keyhold.simulator.audit.Violation;
import io.keyhold.simulator.client.GatewayClient;
import io.keyhold.simulator.client.OrderFollower;
import io.keyhold.simulator.env.EmbeddedGateway;
import io.keyhold.simulator.env.EpayStandIn;
import io.keyhold.simulator.env.GatewayTarget;
import io.keyhold.simulator.env.Shop;
import io.keyhold.simulator.env.ShopSetup;
import io.keyhold.simulator.load.BuyerPlan;
import io.keyhold.simulator.load.BuyerPlans;
import io.keyhold.simulator.load.Crowd;
import io.keyhold.simulator.load.Parallel;
import io.keyhold.simulator.load.RunContext;
import io.keyhold.simulator.report.Accountability;
import io.keyhold.simulator.report.ConsoleSummary;
import io.keyhold.simulator.report.Outcome;
import io.keyhold.simulator.report.Phase;
import io.keyhold.simulator.report.PhaseStats;
import io.keyhold.simulator.report.ProgressPrinter;
import io.keyhold.simulator.report.ProgressSnapshot;
import io.keyhold.simulator.report.ReportFiles;
import io.keyhold.simulator.report.RunMetrics;
import io.keyhold.simulator.report.RunReport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One rehearsal against a gateway: sets up the shops, lets the crowd in, shows progress, takes a
 * last look at every order, audits, and writes the report. {@link #run()} blocks; call it from a
 * plain thread. Everything that touches the gateway runs on one event-loop context of the
 * simulator's own Vert.x, so the books and metrics need no locks.
 */
public final class Simulation {
  public static final long SETUP_TIMEOUT_MS = 180_000;
  /** How long the gateway may stay silent on a sent call before the call counts as unanswered. */
  public static final long REQUEST_TIMEOUT_MS = 15_000;
  /** Orders read at once in the last look. */
  public static final int REFRESH_CONCURRENCY = 32;
  public static final long SETTLE_POLL_MS = 1_000;
  /** After the stop, how long the last look waits for the buyers' calls still in flight (an idle timeout and more). */
  public static final long CALLS_DRAIN_MS_MAX = REQUEST_TIMEOUT_MS + 5_000;
  public static final long CALLS_DRAIN_POLL_MS = 200;
  public static final long AUDIT_TIMEOUT_MS = 120_000;
  /** A share of buyers ending in error above which the rehearsal itself failed. */
  public static final double ERROR_SHARE_MAX = 0.01;
  /**
   * Event streams open at once at most; buyers beyond them poll. The gateway serves 2,000 streams
   * (OrderStreams.STREAMS_MAX) and answers 429 past that.
   */
  public static final int STREAM_CONNECTIONS_MAX = 2_000;
  /**
   * Between two reads of the shops' reliability: the gateway folds evidence into scores within a few seconds
   * and answers from a 5 s cache, so reads this far apart that agree have seen the whole run.
   */
  public static final long SCORE_SETTLE_MS = 6_000;
  /** The longest the report waits for the shops' scores to stop moving. */
  public static final long SCORES_WAIT_MS_MAX = 40_000;
  /** Orders whose books the report lists when they are named by a violation. */
  public static final int VIOLATING_ORDERS_MAX = 200;

  private final SimulationConfig config;
  private final GatewayTarget target;
  private final Path reportDir;
  private final PrintStream out;
  private final boolean console;
  private final EpayStandIn epay;

  public Simulation(SimulationConfig config, GatewayTarget target, Path reportDir, PrintStream out, boolean console) {
    this(config, target, reportDir, out, console, null);
  }

  /**
   * @param epay the stand-in 易支付 site the buyers pay at, started by the caller before the gateway was
   *     configured for it; required with {@link PaymentRail#EPAY}, else null
   */
  public Simulation(SimulationConfig config, GatewayTarget target, Path reportDir, PrintStream out, boolean console,
      EpayStandIn epay) {
    if ((config.payments() == PaymentRail.EPAY) != (epay != null)) {
      throw new IllegalArgumentException("an epay site is needed with payments epay, and only then");
    }
    this.config = config;
    this.target = target;
    this.reportDir = reportDir;
    this.out = out;
    this.console = console;
    this.epay = epay;
  }

  /** Runs the rehearsal; the report is written and returned. */
  public RunReport run() throws Exception {
    // Linux's epoll where Netty's native library loads, as the gateway's own sockets: the simulator stands for the
    // buyers' and the shop's machines, and on one host every CPU-ms it spends is taken from the gateway it measures.
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2)
        .setPreferNativeTransport(true));
    try {
      return run(vertx);
    } finally {
      // Vert.x last, awaited from this plain thread once every piece of work has been joined.
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private RunReport run(Vertx vertx) throws Exception {
    Context context = vertx.getOrCreateContext();
    String runId = HexFormat.of().formatHex(randomBytes(4));
    int streams = Math.min(STREAM_CONNECTIONS_MAX, config.maxInFlight());
    GatewayClient client = GatewayClient.create(vertx, target.baseUrl(), target.adminToken(), config.connections(),
        config.buyerConnections(), streams, REQUEST_TIMEOUT_MS);
    try {
      Books books = new Books();
      // What the run's own CPU figures rest on: where epoll cannot load, the simulator spends more per call.
      Throwable noEpoll = vertx.unavailableNativeTransportCause();
      out.printf("Simulator sockets on %s%n", vertx.isNativeTransportEnabled() ? "the native transport (epoll)"
          : "Java NIO" + (noEpoll == null ? "" : " (" + noEpoll + ")"));
      out.printf("Setting up %d shop(s) on %s ...%n", config.shops(), target.describe());
      ShopSetup setup = new ShopSetup(vertx, client, config, books, runId);
      List<Shop> shops = await(context, setup::setUp, SETUP_TIMEOUT_MS);
      List<BuyerPlan> plans = BuyerPlans.draw(config);

      long startMs = System.currentTimeMillis();
      int seriesSeconds = (int) Math.min(RunMetrics.SERIES_SECONDS_MAX, config.runLimitMs() / 1000 + 60);
      RunMetrics metrics = new RunMetrics(System::currentTimeMillis, startMs, config.buyers(), seriesSeconds);
      // Buyers stop sending at the run's stop; the last look and the audit use the client without a stop.
      GatewayClient buyers = client.sendingBefore(startMs + config.runLimitMs());
      OrderFollower follower = new OrderFollower(buyers, config.follow(), System::currentTimeMillis);
      RunContext run = new RunContext(vertx, config, buyers, follower, books, metrics, runId, startMs);
      AtomicReference<ProgressSnapshot> progress = new AtomicReference<>();
      List<String> notes = Collections.synchronizedList(new ArrayList<>(setup.notes()));
      out.printf("Running %s: %d buyers over %d s (%s), %d keys, at most %d in flight, stop after %d s ...%n",
          config.profile().code(), config.buyers(), config.arrivalSeconds(), config.arrival().code(), config.stock(),
          config.maxInFlight(), config.runLimitMs() / 1000);
      ProgressPrinter printer = new ProgressPrinter(out, console, progress).start();
      try {
        await(context, () -> {
          scheduleOutage(run, shops, notes);
          return new Crowd(run, plans, shops, progress).run();
        }, config.runLimitMs() + Crowd.STOP_GRACE_MS + 30_000);
      } finally {
        printer.close();
      }
      long runMs = System.currentTimeMillis() - startMs;

      out.println("Taking a last look at every order, then auditing ...");
      await(context, () -> lastLook(run, client), config.settleSeconds() * 1000L + CALLS_DRAIN_MS_MAX + 120_000);
      AuditResult audit = await(context, () -> LedgerAudit.run(client, books,
          Duration.ofSeconds(config.sweeperLagSeconds())), AUDIT_TIMEOUT_MS);

      Accountability accountability = null;
      if (config.accountability()) {
        out.println("Reading the shops' reliability scores ...");
        List<Accountability.ShopScore> scores = await(context, () -> scores(run, client, shops,
            System.currentTimeMillis() + SCORES_WAIT_MS_MAX, null), SCORES_WAIT_MS_MAX + REQUEST_TIMEOUT_MS * 2);
        accountability = Accountability.of(run.books().entries(), audit.gatewayAnswer(), config.currency(), scores);
      }

      if (config.chaos().noticeChaos() && config.payments() == PaymentRail.SANDBOX
          && !(target instanceof EmbeddedGateway)) {
        notes.add("notice chaos is the gateway's own setting (engine.sandbox_chaos): this run did not change it");
      }
      if (config.chaos().noticeChaos() && config.payments() != PaymentRail.SANDBOX) {
        notes.add("notice chaos is the sandbox's: with payments " + config.payments().code()
            + " the site's own faults (--epay-faults) apply");
      }
      if (epay != null) {
        notes.add("buyers paid at the " + epay.describe() + ", which sent " + epay.noticesSent()
            + " notice(s) (repeats and retries included)");
      }
      if (follower.streamUnsupported()) {
        notes.add("the gateway did not offer the order event stream; buyers polled instead");
      }
      run.errors().forEach((kind, count) -> notes.add("error " + kind + ": " + count + " time(s)"));
      RunReport report = report(run, runMs, audit, List.copyOf(notes), client.answerCounts(), client.retryCounts(),
          accountability);
      ReportFiles.write(reportDir, report);
      out.print(ConsoleSummary.render(report));
      out.println("Report: " + reportDir.resolve(ReportFiles.HTML).toAbsolutePath() + " and "
          + reportDir.resolve(ReportFiles.JSON).toAbsolutePath());
      out.flush();
      return report;
    } finally {
      client.close();
    }
  }

  private void scheduleOutage(RunContext run, List<Shop> shops, List<String> notes) {
    if (!config.faults().outage()) {
      return;
    }
    Shop victim = shops.stream().filter(shop -> Shop.HTTP.equals(shop.kind())).findFirst().orElseThrow();
    run.vertx().setTimer(Math.max(1, config.faults().outageAtSeconds() * 1000L), id -> victim.stop()
        .onComplete(result -> notes.add("shop " + victim.index() + " (" + victim.merchantId() + ") stopped "
            + config.faults().outageAtSeconds() + " s into the run" + (result.failed() ? " (with an error)" : ""))));
  }

  /**
   * Waits for the buyers' calls still in flight (a checkout answered after the stop still placed an
   * order), reads every order once, then again those still settling, for at most the config's settle
   * seconds.
   */
  private Future<Void> lastLook(RunContext run, GatewayClient client) {
    return callsDrained(run, client, System.currentTimeMillis() + CALLS_DRAIN_MS_MAX).compose(drained -> {
      List<String> all = run.books().entries().stream().map(Books.Entry::orderId).toList();
      long settleUntil = System.currentTimeMillis() + config.settleSeconds() * 1000L;
      return refresh(run, client, all).compose(ignored -> settle(run, client, settleUntil));
    });
  }

  private Future<Void> callsDrained(RunContext run, GatewayClient client, long untilMs) {
    if (client.callsInFlight() == 0 || System.currentTimeMillis() >= untilMs) {
      return Future.succeededFuture();
    }
    return run.pause(CALLS_DRAIN_POLL_MS).compose(ignored -> callsDrained(run, client, untilMs));
  }

  private Future<Void> settle(RunContext run, GatewayClient client, long untilMs) {
    List<String> open = run.books().unsettled();
    if (open.isEmpty() || System.currentTimeMillis() >= untilMs) {
      return Future.succeededFuture();
    }
    return run.pause(SETTLE_POLL_MS).compose(ignored -> refresh(run, client, open))
        .compose(ignored -> settle(run, client, untilMs));
  }

  /** Reads the orders, {@link #REFRESH_CONCURRENCY} at a time; an order that cannot be read keeps its last view. */
  private Future<Void> refresh(RunContext run, GatewayClient client, List<String> orderIds) {
    List<String> readable = orderIds.stream().filter(id -> run.token(id) != null).toList();
    return Parallel.each(readable, REFRESH_CONCURRENCY, orderId -> client.buyer().order(orderId, run.token(orderId))
        .onSuccess(view -> run.books().observed(view, Instant.ofEpochMilli(run.nowMs())))
        .onFailure(failure -> run.error("lastLook getOrder failed")));
  }

  private RunReport report(RunContext run, long runMs, AuditResult audit, List<String> notes,
      Map<String, Long> answers, Map<String, Long> retries, Accountability accountability) {
    RunMetrics metrics = run.metrics();
    List<PhaseStats> phases = new ArrayList<>();
    for (Phase phase : Phase.values()) {
      phases.add(metrics.stats(phase));
    }
    int[] completed = metrics.series(RunMetrics.Series.COMPLETED);
    int[] checkouts = metrics.series(RunMetrics.Series.CHECKOUTS);
    double lifecyclesPerSecond = perActiveSecond(completed);
    double checkoutsPerSecond = perActiveSecond(checkouts);
    Map<Outcome, Integer> outcomes = metrics.outcomes();

    List<String> failures = new ArrayList<>();
    int failed = outcomes.getOrDefault(Outcome.ERROR, 0) + outcomes.getOrDefault(Outcome.REJECTED, 0);
    if (failed > ERROR_SHARE_MAX * config.buyers()) {
      failures.add(failed + " of " + config.buyers() + " buyers ended in an error or a refused checkout (more than "
          + (int) (ERROR_SHARE_MAX * 100) + " %); see the notes for which calls failed");
    }
    if (run.books().entries().isEmpty()) {
      failures.add("no order was placed, so nothing was rehearsed");
    } else if (metrics.total(RunMetrics.Series.COMPLETED) == 0
        && outcomes.getOrDefault(Outcome.ABANDONED, 0) < run.books().entries().size()) {
      failures.add("no order reached a terminal state while the buyers followed them");
    }

    Set<String> named = new LinkedHashSet<>();
    for (Violation violation : audit.violations()) {
      named.addAll(violation.orderIds());
    }
    List<JsonObject> violating = new ArrayList<>();
    for (Books.Entry entry : run.books().entries()) {
      if (named.contains(entry.orderId()) && violating.size() < VIOLATING_ORDERS_MAX) {
        violating.add(entry.toJson());
      }
    }
    // Orders by state as the last look saw them: the truth the audit judged, not the buyers' last glance.
    Map<String, Integer> states = new java.util.TreeMap<>();
    for (Books.Entry entry : run.books().entries()) {
      states.merge(entry.state(), 1, Integer::sum);
    }
    return new RunReport(config.toJson(), target.describe(), Instant.ofEpochMilli(run.startMs()), runMs,
        config.buyers(), outcomes, states, phases, metrics.seriesJson(), lifecyclesPerSecond,
        checkoutsPerSecond, metrics.inFlightPeak(), answers, retries, audit, violating, notes,
        failures, accountability);
  }

  /**
   * Every shop's reliability, read again {@link #SCORE_SETTLE_MS} apart until two reads agree on every
   * sample or {@code untilMs} passes.
   */
  private Future<List<Accountability.ShopScore>> scores(RunContext run, GatewayClient client, List<Shop> shops,
      long untilMs, List<Accountability.ShopScore> previous) {
    Future<Void> wait = previous == null ? Future.succeededFuture() : run.pause(SCORE_SETTLE_MS);
    return wait.compose(ignored -> {
      List<Future<Accountability.ShopScore>> reads = shops.stream().map(shop -> client.operator()
          .reliability(shop.merchantId())
          .map(json -> Accountability.ShopScore.of(shop.index(), role(shop), shop.merchantId(), json))).toList();
      return Future.all(reads).map(all -> reads.stream().map(Future::result).toList());
    }).compose(now -> {
      boolean settled = previous != null && samples(previous).equals(samples(now));
      if (settled || System.currentTimeMillis() >= untilMs) {
        return Future.succeededFuture(now);
      }
      return scores(run, client, shops, untilMs, now);
    });
  }

  private static List<Long> samples(List<Accountability.ShopScore> scores) {
    return scores.stream().map(Accountability.ShopScore::deliveries).toList();
  }

  private String role(Shop shop) {
    if (!config.backups()) {
      return "shop";
    }
    return Shop.HTTP.equals(shop.kind()) ? "primary" : "backup";
  }

  /** Events per second from the first second to the last second anything happened. */
  static double perActiveSecond(int[] perSecond) {
    int last = -1;
    int total = 0;
    for (int i = 0; i < perSecond.length; i++) {
      total += perSecond[i];
      if (perSecond[i] > 0) {
        last = i;
      }
    }
    return last < 0 ? 0 : (double) total / (last + 1);
  }

  /** Runs {@code work} on {@code context} and waits for it from this plain thread. */
  static <T> T await(Context context, Supplier<Future<T>> work, long timeoutMs) throws Exception {
    Promise<T> promise = Promise.promise();
    context.runOnContext(ignored -> {
      try {
        work.get().onComplete(promise);
      } catch (RuntimeException e) {
        promise.tryFail(e);
      }
    });
    try {
      return promise.future().toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    } catch (TimeoutException e) {
      throw new TimeoutException("gave up waiting after " + timeoutMs + " ms");
    }
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }
}
