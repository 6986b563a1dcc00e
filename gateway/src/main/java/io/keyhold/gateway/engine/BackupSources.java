package io.keyhold.gateway.engine;

import io.keyhold.escrow.Order;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A SKU's backup sources (issue 14, docs/order-life.md): the SKUs, in order, a unit is tried at when the SKU's own
 * merchant cannot supply it, before any refund. The operator replaces the whole list at once; each source must be
 * another SKU (another merchant's, or a second stock pool of the same one) in the SKU's currency at a price no
 * higher, so the backup merchant is never paid less than its own price for a key. Checkout copies the list onto
 * the order; a change here reaches new orders only.
 */
public final class BackupSources {
  private static final String SKU = "SELECT merchant_id, id, price_minor, currency FROM skus WHERE id = $1";
  private static final String SKUS = "SELECT merchant_id, id, price_minor, currency FROM skus WHERE id = ANY($1)";
  private static final String LIST = "SELECT position, backup_merchant_id, backup_sku_id FROM sku_backup_sources"
      + " WHERE merchant_id = $1 AND sku_id = $2 ORDER BY position";
  private static final String CLEAR = "DELETE FROM sku_backup_sources WHERE merchant_id = $1 AND sku_id = $2";
  private static final String ADD = "INSERT INTO sku_backup_sources (merchant_id, sku_id, position, backup_merchant_id,"
      + " backup_sku_id) SELECT $1, $2, s.p, s.m, s.k FROM unnest($3::int[], $4::text[], $5::text[]) AS s(p, m, k)";

  private final Consumer<String> changed;

  /** {@code changed} hears the merchant whose SKU's sources changed (the checkout terms it caches). */
  public BackupSources(Consumer<String> changed) {
    this.changed = Objects.requireNonNull(changed, "changed");
  }

  /** The SKU's sources, in order. */
  public Future<JsonObject> get(SqlClient client, String skuId) {
    return sku(client, skuId).compose(sku -> list(client, sku));
  }

  /** Replaces the SKU's sources by {@code backupSkuIds}, in this order, through {@code tx}. */
  public Future<JsonObject> replace(SqlClient tx, String skuId, List<String> backupSkuIds) {
    if (backupSkuIds.size() > Order.BACKUP_SOURCES_MAX) {
      return Future.failedFuture(Refusal.of(Refusal.Code.BACKUP_SOURCE_UNFIT,
          "A SKU lists at most " + Order.BACKUP_SOURCES_MAX + " backup sources"));
    }
    return sku(tx, skuId).compose(sku -> tx.preparedQuery(SKUS)
        .execute(Tuple.of(backupSkuIds.toArray(new String[0]))).compose(rows -> {
          Map<String, Row> found = new HashMap<>();
          rows.forEach(row -> found.put(row.getString("id"), row));
          Set<String> seen = new HashSet<>();
          List<Integer> positions = new ArrayList<>();
          List<String> merchants = new ArrayList<>();
          for (String backupSkuId : backupSkuIds) {
            Row backup = found.get(backupSkuId);
            if (backup == null) {
              return Future.failedFuture(Refusal.of(Refusal.Code.NOT_FOUND, "No SKU " + backupSkuId));
            }
            String unfit = backupSkuId.equals(skuId) ? "is the SKU itself"
                : !seen.add(backupSkuId) ? "is listed twice"
                : !backup.getString("currency").equals(sku.getString("currency")) ? "is priced in another currency"
                : backup.getLong("price_minor") > sku.getLong("price_minor") ? "costs more than the SKU"
                : null;
            if (unfit != null) {
              return Future.failedFuture(Refusal.of(Refusal.Code.BACKUP_SOURCE_UNFIT,
                  "Backup source " + backupSkuId + " " + unfit));
            }
            positions.add(positions.size() + 1);
            merchants.add(backup.getString("merchant_id"));
          }
          String merchantId = sku.getString("merchant_id");
          return tx.preparedQuery(CLEAR).execute(Tuple.of(merchantId, skuId))
              .compose(cleared -> positions.isEmpty() ? Future.succeededFuture() : tx.preparedQuery(ADD)
                  .execute(Tuple.tuple().addString(merchantId).addString(skuId)
                      .addArrayOfInteger(positions.toArray(new Integer[0]))
                      .addArrayOfString(merchants.toArray(new String[0]))
                      .addArrayOfString(backupSkuIds.toArray(new String[0]))))
              .compose(added -> list(tx, sku))
              .onSuccess(listed -> changed.accept(merchantId));
        }));
  }

  private static Future<Row> sku(SqlClient client, String skuId) {
    return client.preparedQuery(SKU).execute(Tuple.of(skuId)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(Refusal.of(Refusal.Code.NOT_FOUND, "No such SKU"))
        : Future.succeededFuture(rows.iterator().next()));
  }

  private static Future<JsonObject> list(SqlClient client, Row sku) {
    return client.preparedQuery(LIST).execute(Tuple.of(sku.getString("merchant_id"), sku.getString("id")))
        .map(rows -> {
          JsonArray sources = new JsonArray();
          rows.forEach(row -> sources.add(new JsonObject().put("position", row.getInteger("position"))
              .put("merchant_id", row.getString("backup_merchant_id"))
              .put("sku_id", row.getString("backup_sku_id"))));
          return new JsonObject().put("sku_id", sku.getString("id")).put("sources", sources);
        });
  }
}
