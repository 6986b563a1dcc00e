package io.keyhold.gateway.api;

import io.keyhold.gateway.engine.BackupSources;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's {@code /admin/v1/skus/{id}/backup-sources} (issue 14): read a SKU's backup sources, or replace
 * them (under the POST's Idempotency-Key, its answer stored in the same transaction as the change).
 */
public final class BackupSourceRoutes {
  private BackupSourceRoutes() {}

  public static void mount(Endpoints endpoints, Pool pool, BackupSources sources) {
    endpoints.get("getBackupSources", Caller.Kind.ADMIN,
        request -> sources.get(pool, request.pathParam("id")).map(Reply::ok));
    endpoints.post("setBackupSources", Caller.Kind.ADMIN, request -> {
      // The shape (an array of at most 3 {sku_id}) is checked against the API document before this runs.
      List<String> skuIds = new ArrayList<>();
      JsonArray list = request.body().getJsonArray("sources");
      for (int i = 0; i < list.size(); i++) {
        skuIds.add(list.getJsonObject(i).getString("sku_id"));
      }
      return pool.withTransaction(tx -> sources.replace(tx, request.pathParam("id"), skuIds).compose(listed -> {
        Reply reply = Reply.ok(listed);
        return request.recordReply(tx, reply).map(reply);
      }));
    });
  }
}
