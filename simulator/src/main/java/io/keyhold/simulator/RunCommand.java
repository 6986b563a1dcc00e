package io.keyhold.simulator;

import io.keyhold.simulator.client.FollowMode;
import io.keyhold.simulator.env.EmbeddedGateway;
import io.keyhold.simulator.env.EpayStandIn;
import io.keyhold.simulator.env.GatewayTarget;
import io.keyhold.simulator.env.RemoteGateway;
import io.keyhold.simulator.load.ArrivalShape;
import io.keyhold.simulator.report.RunReport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code run}: one rehearsal. Without {@code --gateway} it starts a gateway in this process (a fresh
 * data folder with an embedded PostgreSQL, or {@code --pg-url}), with it the simulator only talks
 * HTTP to the gateway given. Every profile value can be overridden by a flag.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Runs a profile against a gateway, then audits the books. Exit 0: passed; 1: a violation;"
        + " 2: bad usage; 3: the run could not be carried out.")
final class RunCommand implements Callable<Integer> {
  static final String ENV_ADMIN_TOKEN = "KEYHOLD_ADMIN_TOKEN";
  /** The epay merchant key a running gateway was given (the gateway reads the same variable). */
  static final String ENV_EPAY_KEY = "KEYHOLD_EPAY_KEY";

  @Option(names = "--profile", defaultValue = "flash-sale",
      description = "flash-sale, steady, merchant-outage, bad-keys, payment-chaos, accountability or fault"
          + " (default ${DEFAULT-VALUE}).")
  String profile;

  @Option(names = "--gateway", description = "URL of a running gateway; without it one is started in-process.")
  String gateway;

  @Option(names = "--admin-token", description = "The gateway's admin token (default: env KEYHOLD_ADMIN_TOKEN).")
  String adminToken;

  @Option(names = "--data-dir",
      description = "Embedded mode: the gateway's data folder (default: a fresh temporary one).")
  Path dataDir;

  @Option(names = "--pg-url",
      description = "Embedded mode: PostgreSQL URL for the gateway (default: embedded PostgreSQL).")
  String pgUrl;

  @Option(names = "--pool-max-size", description = "Embedded mode: the gateway's database pool size.")
  Integer poolMaxSize;

  @Option(names = "--out", defaultValue = "simulator-report",
      description = "Folder for report.json and report.html (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--progress", defaultValue = "auto",
      description = "auto (in place on a console, plain lines otherwise), console or plain.")
  String progress;

  @Option(names = "--seed", description = "Seed of every choice of the run; the same seed replays the same crowd.")
  Long seed;

  @Option(names = "--buyers") Integer buyers;

  @Option(names = "--arrival", description = "flat, ramp or spike.")
  String arrival;

  @Option(names = {"--arrival-seconds", "--duration"}, description = "Seconds within which the buyers arrive.")
  Integer arrivalSeconds;

  @Option(names = "--stock", description = "Keys for sale, across all shops.")
  Integer stock;

  @Option(names = "--quantity", description = "Units per order: N, or MIN-MAX drawn per buyer.")
  String quantity;

  @Option(names = "--stock-shops") Integer stockShops;
  @Option(names = "--http-shops") Integer httpShops;
  @Option(names = "--price", description = "Unit price in minor units.") Long price;
  @Option(names = "--currency") String currency;
  @Option(names = "--fee-basis-points") Integer feeBasisPoints;

  @Option(names = "--pay-within-seconds") Integer payWithinSeconds;
  @Option(names = "--deliver-within-seconds") Integer deliverWithinSeconds;
  @Option(names = "--validate-within-seconds") Integer validateWithinSeconds;
  @Option(names = "--resupply-within-seconds") Integer resupplyWithinSeconds;
  @Option(names = "--max-resupply-attempts") Integer maxResupplyAttempts;
  @Option(names = "--inspection-window-seconds") Integer inspectionWindowSeconds;
  @Option(names = "--max-hold-seconds") Integer maxHoldSeconds;

  @Option(names = "--confirm", description = "Weight of buyers who confirm.") Double confirm;
  @Option(names = "--dispute", description = "Weight of buyers who dispute.") Double dispute;
  @Option(names = "--cancel", description = "Weight of buyers who cancel before revealing.") Double cancel;
  @Option(names = "--abandon", description = "Weight of buyers who never pay.") Double abandon;
  @Option(names = "--inspect", description = "Weight of buyers who reveal and never confirm.") Double inspect;
  @Option(names = "--dispute-refund-share") Double disputeRefundShare;
  @Option(names = "--compensation-minor", description = "Fixed compensation per unit an http shop lets down, in minor"
      + " units (0: none).") Long compensationMinor;
  @Option(names = "--deposit-minor", description = "Each http shop's deposit top-up before the run (0: none).")
  Long depositMinor;
  @Option(names = "--backups", arity = "1", description = "true: the stock shops are the http shops' backup sources.")
  Boolean backups;

  @Option(names = "--invalid-key-rate") Double invalidKeyRate;
  @Option(names = "--redeemed-key-rate") Double redeemedKeyRate;
  @Option(names = "--duplicate-key-rate") Double duplicateKeyRate;
  @Option(names = "--duplicate-uploads") Integer duplicateUploads;
  @Option(names = "--merchant-latency-ms") Integer merchantLatencyMs;
  @Option(names = "--merchant-error-rate") Double merchantErrorRate;
  @Option(names = "--merchant-timeout-rate") Double merchantTimeoutRate;
  @Option(names = "--outage-at-seconds", description = "When the first http shop stops for good; -1 for never.")
  Integer outageAtSeconds;

  @Option(names = "--repeat-pay-rate") Double repeatPayRate;
  @Option(names = "--double-pay-rate") Double doublePayRate;
  @Option(names = "--late-pay-rate") Double latePayRate;
  @Option(names = "--notice-chaos", arity = "1", description = "true: the in-process gateway's sandbox repeats and"
      + " reorders payment notices.") Boolean noticeChaos;

  @Option(names = "--payments", description = "How buyers pay: sandbox (the gateway's own provider; the default) or"
      + " epay: the simulator starts a stand-in 易支付 site on 127.0.0.1 and its buyers pay there as a browser does"
      + " (POST /v1/payments/start, the site's submit.php, Pay). An in-process gateway is configured for the site;"
      + " a running one (--gateway) must have in its config file \"payments\": {\"checkout\": \"epay\","
      + " \"providers\": {\"epay\": {\"api_base_url\": \"http://127.0.0.1:<--epay-port>\", \"pid\":"
      + " \"<--epay-pid>\"}}} and the key in KEYHOLD_EPAY_KEY, set to the same value for the simulator.")
  String payments;
  @Option(names = "--epay-faults", description = "Faults of the epay site's payment notices, switched on: a"
      + " comma-separated list of repeat, reorder, drop (never sent: the gateway's query poll finds the payment),"
      + " or none (the default).")
  String epayFaults;
  @Option(names = "--epay-port", description = "Port of the epay site (default: a free one). With --gateway: the"
      + " port the gateway's payments.providers.epay.api_base_url names (required).")
  Integer epayPort;
  @Option(names = "--epay-pid", description = "The epay site's merchant id (default ${DEFAULT-VALUE}); with --gateway,"
      + " the pid of the gateway's payments.providers.epay.", defaultValue = EpayStandIn.DEFAULT_PID)
  String epayPid;

  @Option(names = "--max-in-flight", description = "Most buyers inside at once (checkout to the order's end).")
  Integer maxInFlight;
  @Option(names = "--connections", description = "Connections of the shops' servers to the gateway (checkouts).")
  Integer connections;
  @Option(names = "--buyer-connections", description = "Connections of the buyers' browsers to the gateway"
      + " (payments, buyer API).") Integer buyerConnections;
  @Option(names = "--drain-seconds", description = "After the arrivals, how long buyers may still take.")
  Integer drainSeconds;
  @Option(names = "--sweeper-lag-seconds") Integer sweeperLagSeconds;
  @Option(names = "--settle-seconds", description = "After the buyers, how long to wait for refunds and notices"
      + " in flight to land before the audit.") Integer settleSeconds;
  @Option(names = "--follow", description = "sse or poll.") String follow;
  @Option(names = "--think-ms-max") Integer thinkMsMax;
  @Option(names = "--come-back-within", description = "Seconds a buyer told sold out, while unpaid checkouts still"
      + " hold keys, stays to look again for them (0: leaves at once; the default).") Integer comeBackWithin;

  private final PrintStream stdout;
  private final PrintStream stderr;
  private final Map<String, String> env;

  RunCommand(PrintStream stdout, PrintStream stderr) {
    this(stdout, stderr, System.getenv());
  }

  RunCommand(PrintStream stdout, PrintStream stderr, Map<String, String> env) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.env = env;
  }

  @Override
  public Integer call() {
    SimulationConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      stderr.println("keyhold-simulator: " + e.getMessage());
      return SimulatorMain.EXIT_USAGE;
    }
    EpayStandIn epay = null;
    try {
      boolean inPlace = inPlace();
      epay = epaySite(config);
      EpayStandIn site = epay;
      GatewayTarget target = target(config, site);
      // Ctrl-C must not leave an embedded PostgreSQL and its temporary folder behind.
      Thread stopOnExit = new Thread(() -> {
        stopQuietly(target);
        closeQuietly(site);
      }, "keyhold-simulator-stop");
      Runtime.getRuntime().addShutdownHook(stopOnExit);
      try {
        return new Simulation(config, target, out, stdout, inPlace, site).run().exitCode();
      } finally {
        target.stop();
        removeHook(stopOnExit);
      }
    } catch (IllegalArgumentException e) {
      stderr.println("keyhold-simulator: " + e.getMessage());
      return SimulatorMain.EXIT_USAGE;
    } catch (Exception e) {
      stderr.println("keyhold-simulator: the run could not be carried out: " + e);
      return RunReport.EXIT_RUN_FAILED;
    } finally {
      closeQuietly(epay);
    }
  }

  /**
   * The stand-in epay site for {@code --payments epay}, or null. For an in-process gateway on a free port with a
   * generated key; for a running gateway on the port, pid and key its config names.
   */
  EpayStandIn epaySite(SimulationConfig config) throws Exception {
    if (config.payments() != PaymentRail.EPAY) {
      if (epayPort != null) {
        throw new IllegalArgumentException("--epay-port is for --payments epay");
      }
      return null;
    }
    String key = null;
    if (gateway != null) {
      key = env.get(ENV_EPAY_KEY);
      if (epayPort == null || key == null || key.isBlank()) {
        throw new IllegalArgumentException("--payments epay with --gateway needs --epay-port and " + ENV_EPAY_KEY
            + ": the port and key the gateway's payments.providers.epay names");
      }
    }
    int port = epayPort == null ? 0 : epayPort;
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("--epay-port must be between 0 and 65535, but was " + port);
    }
    EpayStandIn site = EpayStandIn.start(port, epayPid, key, config.epayFaults(), config.seed());
    stdout.println("Started the " + site.describe() + (PaymentRail.faultNames(site.faults()).isEmpty() ? ""
        : ", notice faults " + String.join(", ", PaymentRail.faultNames(site.faults()))));
    return site;
  }

  private void closeQuietly(EpayStandIn site) {
    if (site == null) {
      return;
    }
    try {
      site.close();
    } catch (Exception e) {
      stderr.println("keyhold-simulator: the epay site did not stop cleanly: " + e);
    }
  }

  private void stopQuietly(GatewayTarget target) {
    try {
      target.stop();
    } catch (Exception e) {
      stderr.println("keyhold-simulator: the gateway did not stop cleanly: " + e);
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting already: the hook runs and finds the target stopped.
    }
  }

  private boolean inPlace() {
    return switch (progress) {
      case "console" -> true;
      case "plain" -> false;
      case "auto" -> System.console() != null;
      default -> throw new IllegalArgumentException("progress must be auto, console or plain, but was '" + progress
          + "'");
    };
  }

  GatewayTarget target(SimulationConfig config, EpayStandIn epay) throws Exception {
    if (gateway != null) {
      if (dataDir != null || pgUrl != null || poolMaxSize != null) {
        throw new IllegalArgumentException("--data-dir, --pg-url and --pool-max-size are for an in-process gateway;"
            + " drop them with --gateway");
      }
      return new RemoteGateway(gateway, adminToken != null ? adminToken : System.getenv(ENV_ADMIN_TOKEN));
    }
    stdout.println("Starting an in-process gateway" + (pgUrl == null ? " on an embedded PostgreSQL" : "") + " ...");
    return EmbeddedGateway.start(dataDir, pgUrl, poolMaxSize == null ? 0 : poolMaxSize,
        config.chaos().noticeChaos(), epay == null ? null : epay.providerConfig());
  }

  /** The profile's config with every flag given applied. */
  SimulationConfig config() {
    SimulationConfig.Builder b = SimulationConfig.builder(Profile.fromCode(profile));
    if (seed != null) b.seed(seed);
    if (buyers != null) b.buyers(buyers);
    if (arrival != null) b.arrival(ArrivalShape.fromCode(arrival));
    if (arrivalSeconds != null) b.arrivalSeconds(arrivalSeconds);
    if (stock != null) b.stock(stock);
    if (quantity != null) {
      int[] range = quantityRange(quantity);
      b.quantity(range[0], range[1]);
    }
    if (stockShops != null) b.stockShops(stockShops);
    if (httpShops != null) b.httpShops(httpShops);
    if (price != null) b.priceMinor(price);
    if (currency != null) b.currency(currency);
    if (feeBasisPoints != null) b.feeBasisPoints(feeBasisPoints);
    Deadlines d = b.deadlines();
    b.deadlines(new Deadlines(
        or(payWithinSeconds, d.payWithinSeconds()),
        or(deliverWithinSeconds, d.deliverWithinSeconds()),
        or(validateWithinSeconds, d.validateWithinSeconds()),
        or(resupplyWithinSeconds, d.resupplyWithinSeconds()),
        or(maxResupplyAttempts, d.maxResupplyAttempts()),
        or(inspectionWindowSeconds, d.inspectionWindowSeconds()),
        or(maxHoldSeconds, d.maxHoldSeconds())));
    BehaviourMix m = b.behaviours();
    b.behaviours(new BehaviourMix(or(confirm, m.confirm()), or(dispute, m.dispute()), or(cancel, m.cancel()),
        or(abandon, m.abandon()), or(inspect, m.inspect())));
    if (disputeRefundShare != null) b.disputeRefundShare(disputeRefundShare);
    if (compensationMinor != null) b.compensationMinor(compensationMinor);
    if (depositMinor != null) b.depositMinor(depositMinor);
    if (backups != null) b.backups(backups);
    FaultMix f = b.faults();
    b.faults(new FaultMix(or(invalidKeyRate, f.invalidKeyRate()), or(redeemedKeyRate, f.redeemedKeyRate()),
        or(duplicateKeyRate, f.duplicateKeyRate()), or(duplicateUploads, f.duplicateUploads()),
        or(merchantLatencyMs, f.merchantLatencyMs()), or(merchantErrorRate, f.merchantErrorRate()),
        or(merchantTimeoutRate, f.merchantTimeoutRate()), or(outageAtSeconds, f.outageAtSeconds())));
    PaymentChaos c = b.chaos();
    b.chaos(new PaymentChaos(or(repeatPayRate, c.repeatRate()), or(doublePayRate, c.doubleRate()),
        or(latePayRate, c.lateRate()), noticeChaos != null ? noticeChaos : c.noticeChaos()));
    if (payments != null) b.payments(PaymentRail.fromCode(payments));
    if (epayFaults != null) b.epayFaults(PaymentRail.epayFaults(epayFaults));
    if (maxInFlight != null) b.maxInFlight(maxInFlight);
    if (connections != null) b.connections(connections);
    if (buyerConnections != null) b.buyerConnections(buyerConnections);
    if (drainSeconds != null) b.drainSeconds(drainSeconds);
    if (sweeperLagSeconds != null) b.sweeperLagSeconds(sweeperLagSeconds);
    if (settleSeconds != null) b.settleSeconds(settleSeconds);
    if (follow != null) b.follow(FollowMode.fromCode(follow));
    if (thinkMsMax != null) b.thinkMsMax(thinkMsMax);
    if (comeBackWithin != null) b.comeBackWithinSeconds(comeBackWithin);
    return b.build();
  }

  /** {@code "3"} is 3 to 3, {@code "1-4"} is 1 to 4. */
  static int[] quantityRange(String text) {
    try {
      String[] parts = text.trim().split("-", -1);
      if (parts.length == 1) {
        int value = Integer.parseInt(parts[0]);
        return new int[] {value, value};
      }
      if (parts.length == 2) {
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
      }
    } catch (NumberFormatException e) {
      // Falls through to the message below.
    }
    throw new IllegalArgumentException("quantity must be N or MIN-MAX, but was '" + text + "'");
  }

  private static int or(Integer value, int fallback) {
    return value != null ? value : fallback;
  }

  private static double or(Double value, double fallback) {
    return value != null ? value : fallback;
  }
}
