package io.keyhold.adapters.reference;

import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a {@link ReferenceMerchant} from the command line:
 * {@code java -jar keyhold-reference-merchant.jar --port 9100 --sku demo=1000 --latency-ms 200}.
 * Faults given here are in force from the start; {@code POST /_faults} changes them later.
 */
@Command(name = "keyhold-reference-merchant", mixinStandardHelpOptions = true, version = "keyhold reference merchant 1",
    description = "A card shop speaking the Keyhold merchant protocol, with a fake issuer and switchable faults.")
public final class ReferenceMerchantMain implements Callable<Integer> {
  /** Not a static field: main must name the logging config before logging starts. */
  private static Logger log() {
    return LoggerFactory.getLogger(ReferenceMerchantMain.class);
  }

  private static final int START_TIMEOUT_SECONDS = 30;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "9100", description = "Port to listen on, 0 for any (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--sku", paramLabel = "ID=KEYS",
      description = "A SKU and its number of generated keys; repeatable (default: demo=1000).")
  Map<String, Integer> skus = new LinkedHashMap<>();

  @Option(names = "--secret", paramLabel = "SECRET",
      defaultValue = "${env:KEYHOLD_REFERENCE_SECRET:-" + ReferenceMerchantOptions.DEV_SECRET + "}",
      description = "Signing secret; up to two during a rotation (default: $KEYHOLD_REFERENCE_SECRET or a dev secret).")
  List<String> secrets;

  @Option(names = "--issuer-secret", paramLabel = "SECRET", description = "The fake issuer's secret (default: --secret).")
  List<String> issuerSecrets = List.of();

  @Option(names = "--replay-window-seconds", defaultValue = "300", description = "Replay window (default: ${DEFAULT-VALUE}).")
  int replayWindowSeconds;

  @Option(names = "--seed", defaultValue = "1", description = "Seed for keys and fault draws (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--fault-scope", defaultValue = "all", description = "all, merchant or issuer (default: ${DEFAULT-VALUE}).")
  String faultScope;

  @Option(names = "--latency-ms", defaultValue = "0", description = "Delay before every answer.")
  int latencyMs;

  @Option(names = "--error-rate", defaultValue = "0", description = "Share of requests answered 500.")
  double errorRate;

  @Option(names = "--timeout-rate", defaultValue = "0", description = "Share of requests never answered.")
  double timeoutRate;

  @Option(names = "--invalid-key-rate", defaultValue = "0", description = "Share of keys made up.")
  double invalidKeyRate;

  @Option(names = "--redeemed-key-rate", defaultValue = "0", description = "Share of keys already redeemed.")
  double redeemedKeyRate;

  @Option(names = "--duplicate-key-rate", defaultValue = "0", description = "Share of keys already sold to another order.")
  double duplicateKeyRate;

  @Option(names = "--control-character-key-rate", defaultValue = "0",
      description = "Share of keys made up with a control character inside (U+202E).")
  double controlCharacterKeyRate;

  @Option(names = "--signature-fault", defaultValue = "forged", description = "forged, stale, missing or replayed.")
  String signatureFault;

  @Option(names = "--signature-fault-rate", defaultValue = "0", description = "Share of answers wrongly signed.")
  double signatureFaultRate;

  @Option(names = "--malformed", defaultValue = "not_json",
      description = "not_json, not_object, missing_fields, wrong_types, wrong_request_id or oversized.")
  String malformed;

  @Option(names = "--malformed-rate", defaultValue = "0", description = "Share of answers malformed.")
  double malformedRate;

  /** Parses the options into {@link ReferenceMerchantOptions}; bad values throw naming them. */
  ReferenceMerchantOptions options() {
    Faults faults = new Faults(Faults.Scope.fromCode(faultScope), latencyMs, errorRate, timeoutRate, invalidKeyRate,
        redeemedKeyRate, duplicateKeyRate, Faults.SignatureFault.fromCode(signatureFault), signatureFaultRate,
        Faults.Malformation.fromCode(malformed), malformedRate, controlCharacterKeyRate);
    ReferenceMerchantOptions.Builder builder = ReferenceMerchantOptions.builder()
        .host(host)
        .port(port)
        .replayWindowSeconds(replayWindowSeconds)
        .seed(seed)
        .faults(faults);
    skus.forEach(builder::sku);
    secrets.forEach(builder::secret);
    issuerSecrets.forEach(builder::issuerSecret);
    return builder.build();
  }

  @Override
  public Integer call() throws Exception {
    ReferenceMerchantOptions options;
    try {
      options = options();
    } catch (IllegalArgumentException e) {
      System.err.println("keyhold-reference-merchant: " + e.getMessage());
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    ReferenceMerchant merchant;
    try {
      merchant = ReferenceMerchant.start(vertx, options).await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("keyhold-reference-merchant: could not start: " + e.getMessage());
      vertx.close().await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        log().warn("shutdown did not finish cleanly: {}", e.getMessage());
      }
    }, "reference-merchant-shutdown"));
    if (options.secrets().contains(ReferenceMerchantOptions.DEV_SECRET)) {
      log().warn("using the public dev secret; pass --secret or set KEYHOLD_REFERENCE_SECRET");
    }
    log().info("keyhold reference merchant listening on {} (stock {}, faults {})", merchant.baseUrl(), options.stock(),
        options.faults().toJson().encode());
    return 0;
  }

  /** Starts the merchant; the JVM keeps running on Vert.x's threads until it is stopped. */
  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      // Our own file name, so a logback.xml of an application embedding this jar is never overridden.
      System.setProperty("logback.configurationFile", "keyhold-reference-merchant-logback.xml");
    }
    int exitCode = new CommandLine(new ReferenceMerchantMain()).execute(args);
    if (exitCode != 0) {
      System.exit(exitCode);
    }
  }
}
