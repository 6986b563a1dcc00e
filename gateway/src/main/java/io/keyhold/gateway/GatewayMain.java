package io.keyhold.gateway;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import picocli.CommandLine.Spec;

/**
 * The command line: {@code java -jar keyhold-gateway.jar [--port N] [--data-dir DIR] [--pg-url URL]
 * [--config FILE]}. With nothing given it runs an embedded PostgreSQL under {@code ./keyhold-data},
 * seeds a demo shop the first time and prints what a newcomer needs. Stops on SIGINT/SIGTERM. A setting
 * it cannot start with (an admin token shorter than 16 characters, a value out of range) is one line on
 * stderr and exit code 2.
 */
@Command(name = "keyhold-gateway", mixinStandardHelpOptions = true, version = "Keyhold gateway 0.1.0",
    description = "Escrow gateway for card keys.")
public final class GatewayMain implements Callable<Integer> {
  static final String DEMO_FILE = "demo-shop.txt";

  @Option(names = "--port", description = "HTTP port (default ${DEFAULT-VALUE}; 0 = any free port).")
  Integer port;

  @Option(names = "--host", description = "Address to bind (default 127.0.0.1).")
  String host;

  @Option(names = "--data-dir", description = "Data folder: secrets and the embedded database (default ./keyhold-data).")
  Path dataDir;

  @Option(names = "--pg-url", description = "PostgreSQL URL (postgres://user:pass@host:port/db; a primary and its "
      + "standbys as postgres://user:pass@h1:5432,h2:5432/db, the one taking writes used); "
      + "default: env KEYHOLD_PG_URL, else an embedded server in <data-dir>/pg.")
  String pgUrl;

  @Option(names = "--config", description = "JSON config file (keys: see GatewayConfigFile).")
  Path configFile;

  @Option(names = "--no-demo", description = "Do not seed the demo shop on first start.")
  boolean noDemo;

  @Spec
  CommandSpec spec;

  private final PrintStream out;

  GatewayMain(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    int exit = new CommandLine(new GatewayMain(System.out)).execute(args);
    if (exit != 0) {
      System.exit(exit);
    }
  }

  @Override
  public Integer call() throws Exception {
    GatewayConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      // A value of the config file, the environment or a flag; the builder names it.
      return refuse(e.getMessage());
    } catch (DecodeException e) {
      // The parser's message quotes the file, which may hold secrets.
      return refuse("config file " + configFile + " is not a JSON object");
    } catch (IOException e) {
      return refuse("cannot read config file " + configFile + " (" + e.getClass().getSimpleName() + ")");
    }
    Gateway gateway;
    try {
      gateway = Gateway.start(config);
    } catch (BadSettingException e) {
      return refuse(e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        gateway.close();
      } catch (Exception e) {
        System.err.println("gateway did not stop cleanly: " + e);
      } finally {
        stopped.countDown();
      }
    }, "keyhold-shutdown"));
    banner(gateway);
    stopped.await();
    return 0;
  }

  /** One line on stderr and exit code 2, as for a wrong flag: a setting is wrong, not the program. */
  private int refuse(String message) {
    PrintWriter err = spec.commandLine().getErr();
    err.println(spec.name() + ": " + message);
    err.flush();
    return CommandLine.ExitCode.USAGE;
  }

  GatewayConfig config() throws IOException {
    GatewayConfig.Builder builder = GatewayConfig.builder();
    if (configFile != null) {
      GatewayConfigFile.apply(builder, new JsonObject(Files.readString(configFile, StandardCharsets.UTF_8)));
    }
    builder.applyEnvironment(System.getenv());
    if (port != null) builder.port(port);
    if (host != null) builder.host(host);
    if (dataDir != null) builder.dataDir(dataDir);
    if (pgUrl != null) builder.pgUrl(pgUrl);
    if (noDemo) builder.seedDemo(false);
    return builder.build();
  }

  private void banner(Gateway gateway) throws Exception {
    String base = gateway.baseUrl();
    out.println();
    out.println("Keyhold gateway is running.");
    out.println("  API            " + base + "/v1");
    out.println("  OpenAPI        " + base + "/openapi.yaml");
    out.println("  Shop console   " + base + "/console   (sign in with a merchant API key)");
    out.println("  Operator       " + base + "/ops       (sign in with the admin token)");
    out.println("  Health         " + base + "/health/ready");
    out.println("  Metrics        " + base + "/metrics   (Bearer: the admin token, or "
        + GatewayConfig.ENV_METRICS_TOKEN + " when set)");
    out.println("  Database       " + (gateway.database().embedded()
        ? "embedded PostgreSQL in " + gateway.config().dataDir().resolve(Gateway.EMBEDDED_PG_DIR)
        : gateway.database().location()));
    if (System.getenv(GatewayConfig.ENV_ADMIN_TOKEN) == null && gateway.config().secrets().adminToken() == null) {
      out.println("  Admin token    " + gateway.secrets().adminToken()
          + "   (stored in " + gateway.config().dataDir().resolve("secrets.properties") + ")");
    } else {
      out.println("  Admin token    from KEYHOLD_ADMIN_TOKEN / config");
    }
    DemoShop.Seeded demo = gateway.demo();
    Path demoFile = gateway.config().dataDir().resolve(DEMO_FILE);
    if (demo != null) {
      String text = "Demo merchant  " + demo.merchantId() + "\n"
          + "Demo API key   " + demo.apiKey() + "\n"
          + "Demo SKU       " + demo.skuId() + " (" + demo.keys() + " keys in stock)\n";
      Files.deleteIfExists(demoFile);
      Files.createFile(demoFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(demoFile, text, StandardCharsets.UTF_8);
      out.println("  Demo shop      seeded now:");
      text.lines().forEach(line -> out.println("    " + line));
      out.println("  Try:  curl -H 'Authorization: Bearer " + demo.apiKey() + "' " + base + "/v1/skus/" + demo.skuId());
    } else if (Files.exists(demoFile)) {
      out.println("  Demo shop      seeded at first start; its API key is in " + demoFile);
    }
    out.println("Stop with Ctrl-C.");
    out.flush();
  }
}
