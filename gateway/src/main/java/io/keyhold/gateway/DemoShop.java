package io.keyhold.gateway;

import io.keyhold.escrow.SkuPolicy;
import io.keyhold.gateway.store.Catalog;
import io.keyhold.gateway.store.MerchantService;
import io.keyhold.gateway.store.NewSku;
import io.keyhold.gateway.store.StockVault;
import io.keyhold.gateway.store.ValidatorSpec;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Seeds a demo shop the first time a database is used: a merchant, a SKU and some stock, so a
 * newcomer can try the API at once. Guarded by a row in {@code gateway_meta} inside the same
 * transaction, so it happens once per database however many gateways start together.
 */
final class DemoShop {
  static final String MARKER = "demo_shop_seeded";
  static final int DEMO_KEYS = 20;
  static final long DEMO_PRICE_MINOR = 1_000;
  static final String DEMO_CURRENCY = "CNY";
  static final String DEMO_KEY_PATTERN = "^DEMO[A-Z0-9]{12}$";

  private static final String MARK = "INSERT INTO gateway_meta (name, value) VALUES ($1, $2)"
      + " ON CONFLICT (name) DO NOTHING";
  private static final char[] KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();

  private DemoShop() {}

  /** Seeds the shop unless this database already has it; answers what was created, or null. */
  static Future<Seeded> seedOnce(Pool pool, MerchantService merchants, Catalog catalog, StockVault stock) {
    return pool.withTransaction(tx -> tx.preparedQuery(MARK).execute(Tuple.of(MARKER, Buffer.buffer("1")))
        .compose(marked -> {
          if (marked.rowCount() == 0) {
            return Future.succeededFuture(null);
          }
          MerchantService.NewMerchant merchant = new MerchantService.NewMerchant(
              "Demo Card Shop", null, 250, "stock", new JsonObject());
          NewSku sku = new NewSku("Demo game card, 100 points", DEMO_PRICE_MINOR, DEMO_CURRENCY, SkuPolicy.defaults(),
              "stock", List.of(ValidatorSpec.New.of(ValidatorSpec.format(DEMO_KEY_PATTERN, "none"))));
          return merchants.create(tx, merchant).compose(created -> catalog.create(tx, created.id(), sku)
              .compose(createdSku -> stock.prepare(created.id(), createdSku.id(), demoKeys())
                  .compose(prepared -> stock.upload(tx, prepared))
                  .map(uploaded -> new Seeded(created.id(), created.apiKey(), createdSku.id(), uploaded.accepted()))));
        }));
  }

  private static List<String> demoKeys() {
    SecureRandom random = new SecureRandom();
    List<String> keys = new ArrayList<>(DEMO_KEYS);
    for (int i = 0; i < DEMO_KEYS; i++) {
      StringBuilder key = new StringBuilder("DEMO");
      for (int group = 0; group < 3; group++) {
        key.append('-');
        for (int c = 0; c < 4; c++) {
          key.append(KEY_ALPHABET[random.nextInt(KEY_ALPHABET.length)]);
        }
      }
      keys.add(key.toString());
    }
    return keys;
  }

  /** The seeded shop; the API key is shown once, by the CLI. */
  record Seeded(String merchantId, String apiKey, String skuId, int keys) {
    @Override
    public String toString() {
      return "Seeded[" + merchantId + ", " + skuId + ", " + keys + " keys, apiKey=redacted]";
    }
  }
}
