package io.keyhold.simulator.env;

import io.keyhold.adapters.reference.Faults;
import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.simulator.SimulationConfig;
import io.keyhold.simulator.audit.Books;
import io.keyhold.simulator.client.ApiProblem;
import io.keyhold.simulator.client.CreatedMerchant;
import io.keyhold.simulator.client.GatewayClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Sets up a run's shops through the operator and merchant API only:
 * <ul>
 *   <li>a stock shop: a merchant with the {@code stock} adapter, a SKU with a Luhn {@code format}
 *       validator, and its keys uploaded in batches (a share of them bad when the fault mix says so),
 *       then the configured number of uploads of keys the gateway already holds, each of which must
 *       be refused;
 *   <li>an http shop: a reference merchant started on this machine (with the run's faults), and a
 *       merchant with the {@code http} adapter pointing at it; when keys may be redeemed, the SKU
 *       also checks keys against the reference merchant's issuer.
 * </ul>
 */
public final class ShopSetup {
  /** The OpenAPI document's cap on one upload. */
  public static final int UPLOAD_BATCH_MAX = 1_000;
  /** How long the reference merchant holds a request its timeout fault never answers. */
  public static final int REMOTE_HOLD_MS = 10_000;
  /** The OpenAPI document's cap on a SKU's backup sources. */
  public static final int BACKUP_SOURCES_MAX = 3;

  private final Vertx vertx;
  private final GatewayClient client;
  private final SimulationConfig config;
  private final Books books;
  private final String runId;
  private final LuhnKeys keyMaker = new LuhnKeys();
  private final List<String> notes = new ArrayList<>();
  /** One uploaded key per stock shop: what the duplicate uploads send again. */
  private final List<Uploaded> uploadedSamples = new ArrayList<>();

  public ShopSetup(Vertx vertx, GatewayClient client, SimulationConfig config, Books books, String runId) {
    this.vertx = vertx;
    this.client = client;
    this.config = config;
    this.books = books;
    this.runId = runId;
  }

  /** What setting up noticed that the report should say. */
  public List<String> notes() {
    return List.copyOf(notes);
  }

  /** Sets up every shop, one after the other; the shops in plan order (stock shops first). */
  public Future<List<Shop>> setUp() {
    List<Shop> shops = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < config.shops(); i++) {
      int index = i;
      int keys = keysFor(index);
      chain = chain.compose(ignored -> (index < config.stockShops() ? stockShop(index, keys) : httpShop(index, keys))
          .map(shop -> {
            shops.add(shop);
            return null;
          }));
    }
    return chain.compose(ignored -> duplicateUploads(shops)).compose(ignored -> accountability(shops))
        .map(ignored -> List.copyOf(shops));
  }

  /**
   * Through the operator API: tops up each http shop's deposit, and makes the stock shops' SKUs the http
   * shops' SKUs' backup sources, when the config asks.
   */
  private Future<Void> accountability(List<Shop> shops) {
    List<String> backupSkus = config.backups()
        ? shops.stream().filter(shop -> Shop.STOCK.equals(shop.kind())).map(Shop::skuId).limit(BACKUP_SOURCES_MAX)
            .toList()
        : List.of();
    Future<Void> chain = Future.succeededFuture();
    for (Shop shop : shops) {
      if (!Shop.HTTP.equals(shop.kind())) {
        continue;
      }
      if (config.depositMinor() > 0) {
        chain = chain.compose(ignored -> client.operator().topUpDeposit(shop.merchantId(), config.depositMinor(),
            config.currency())).mapEmpty();
      }
      if (!backupSkus.isEmpty()) {
        chain = chain.compose(ignored -> client.operator().setBackupSources(shop.skuId(), backupSkus)).mapEmpty();
      }
    }
    return chain;
  }

  /** The stock split evenly, the first shops taking the remainder. */
  int keysFor(int index) {
    int base = config.stock() / config.shops();
    return base + (index < config.stock() % config.shops() ? 1 : 0);
  }

  private Future<Shop> stockShop(int index, int keys) {
    JsonObject merchant = new JsonObject().put("name", "Simulated shop " + index + " (" + runId + ")")
        .put("fee_basis_points", config.feeBasisPoints())
        .put("adapter", new JsonObject().put("type", Shop.STOCK));
    return client.operator().createMerchant(merchant).compose(created -> client.merchant().createSku(created.apiKey(),
            sku(index, Shop.STOCK, null))
        // A backup shop is the one that does not fail: its keys are all good.
        .compose(skuId -> upload(created, skuId, keyMaker.draw(keys, config.backups() ? 0
            : config.faults().invalidKeyRate()))
            .map(good -> {
              books.stock(skuId, good);
              return new Shop(index, Shop.STOCK, created.id(), created.apiKey(), skuId, good, null);
            })));
  }

  /** Uploads in batches; answers how many good keys the gateway accepted. */
  private Future<Integer> upload(CreatedMerchant merchant, String skuId, List<LuhnKeys.Key> keys) {
    Future<Integer> chain = Future.succeededFuture(0);
    for (int from = 0; from < keys.size(); from += UPLOAD_BATCH_MAX) {
      List<LuhnKeys.Key> batch = keys.subList(from, Math.min(keys.size(), from + UPLOAD_BATCH_MAX));
      List<String> values = batch.stream().map(LuhnKeys.Key::value).toList();
      int good = (int) batch.stream().filter(LuhnKeys.Key::good).count();
      chain = chain.compose(sum -> client.merchant().uploadStock(merchant.apiKey(), skuId, values).map(accepted -> {
        if (accepted != values.size()) {
          throw new IllegalStateException("the gateway accepted " + accepted + " of " + values.size()
              + " keys uploaded to " + skuId);
        }
        return sum + good;
      }));
    }
    return chain.onSuccess(good -> {
      if (!keys.isEmpty()) {
        uploadedSamples.add(new Uploaded(merchant, skuId, keys.get(0).value()));
      }
    });
  }

  /**
   * Uploads keys the gateway already holds (to another shop when there is one): every upload must be
   * refused with {@code duplicate_key}; the books record each answer.
   */
  private Future<Void> duplicateUploads(List<Shop> shops) {
    int attempts = config.faults().duplicateUploads();
    if (attempts == 0 || uploadedSamples.isEmpty()) {
      if (attempts > 0) {
        notes.add("duplicate uploads were asked for but there is no stock shop to upload to");
      }
      return Future.succeededFuture();
    }
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < attempts; i++) {
      Uploaded source = uploadedSamples.get(i % uploadedSamples.size());
      Uploaded target = uploadedSamples.get((i + 1) % uploadedSamples.size());
      chain = chain.compose(ignored -> client.merchant().uploadStock(target.merchant().apiKey(), target.skuId(),
              List.of(source.key()))
          .transform(result -> {
            if (result.succeeded()) {
              books.duplicateUpload(target.skuId(), false);
            } else if (result.cause() instanceof ApiProblem problem && "duplicate_key".equals(problem.code())) {
              books.duplicateUpload(target.skuId(), true);
            } else {
              return Future.failedFuture(result.cause());
            }
            return Future.succeededFuture();
          }));
    }
    return chain;
  }

  private Future<Shop> httpShop(int index, int keys) {
    int port;
    try {
      port = freePort();
    } catch (IOException e) {
      return Future.failedFuture(e);
    }
    String baseUrl = "http://127.0.0.1:" + port;
    String secret = "sim-" + HexFormat.of().formatHex(random(24));
    JsonObject merchant = new JsonObject().put("name", "Simulated remote shop " + index + " (" + runId + ")")
        .put("fee_basis_points", config.feeBasisPoints())
        .put("adapter", new JsonObject().put("type", Shop.HTTP).put("config", new JsonObject()
            .put("base_url", baseUrl).put("signing_secret", secret)));
    // The http validator posts to its URL plus the protocol's check path: the issuer's base URL is enough.
    // The reference merchant's issuer signs with the shop's secret unless told otherwise.
    JsonObject issuer = config.faults().redeemedKeyRate() > 0
        ? new JsonObject().put("type", "http").put("url", baseUrl).put("signing_secret", secret)
        : null;
    return client.operator().createMerchant(merchant).compose(created -> client.merchant().createSku(created.apiKey(),
            sku(index, Shop.HTTP, issuer))
        .compose(skuId -> ReferenceMerchant.start(vertx, ReferenceMerchantOptions.builder()
                .host("127.0.0.1")
                .port(port)
                .sku(skuId, keys)
                .secret(secret)
                .seed(config.seed() + index)
                .holdMs(REMOTE_HOLD_MS)
                .faults(faults())
                .build())
            .map(remote -> {
              books.stock(skuId, keys);
              return new Shop(index, Shop.HTTP, created.id(), created.apiKey(), skuId, keys, remote);
            })));
  }

  private Faults faults() {
    var mix = config.faults();
    return new Faults(Faults.Scope.ALL, mix.merchantLatencyMs(), mix.merchantErrorRate(), mix.merchantTimeoutRate(),
        mix.invalidKeyRate(), mix.redeemedKeyRate(), mix.duplicateKeyRate(), Faults.SignatureFault.FORGED, 0,
        Faults.Malformation.NOT_JSON, 0);
  }

  private JsonObject sku(int index, String adapter, JsonObject issuerCheck) {
    JsonArray validators = new JsonArray()
        .add(new JsonObject().put("type", "format").put("pattern", LuhnKeys.PATTERN).put("checksum", "luhn"));
    if (issuerCheck != null) {
      validators.add(issuerCheck);
    }
    JsonObject policy = config.deadlines().toPolicyJson();
    if (Shop.HTTP.equals(adapter) && config.compensationMinor() > 0) {
      policy.put("compensation", new JsonObject().put("basis", "fixed").put("value", config.compensationMinor()));
    }
    return new JsonObject()
        .put("name", "Simulated game card " + index)
        .put("price", config.priceMinor())
        .put("currency", config.currency())
        .put("adapter", adapter)
        .put("policy", policy)
        .put("validators", validators);
  }

  private record Uploaded(CreatedMerchant merchant, String skuId, String key) {
    @Override
    public String toString() {
      return "Uploaded[" + skuId + ", key=redacted]";
    }
  }

  /** A port free now; the reference merchant binds it a moment later (a race only with other programs). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static byte[] random(int bytes) {
    byte[] value = new byte[bytes];
    new SecureRandom().nextBytes(value);
    return value;
  }
}
