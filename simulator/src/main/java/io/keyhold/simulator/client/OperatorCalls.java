package io.keyhold.simulator.client;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The operator's calls, under the admin token: shops, the gateway's own audit, the disputes' queue. */
public final class OperatorCalls {

  private final GatewayTransport transport;
  private final String adminToken;

  OperatorCalls(GatewayTransport transport, String adminToken) {
    this.transport = transport;
    this.adminToken = adminToken;
  }

  /**
   * {@code POST /admin/v1/merchants}, under a fresh Idempotency-Key: a retry answers the same merchant (the
   * gateway replays the stored answer, API key included) instead of creating a second one.
   */
  public Future<CreatedMerchant> createMerchant(JsonObject merchant) {
    return transport.send("createMerchant", HttpMethod.POST, "/admin/v1/merchants", adminToken, merchant,
            MerchantCalls.freshKey())
        .map(json -> {
          String id = json.getString("id");
          String apiKey = json.getString("api_key");
          if (id == null || apiKey == null) {
            throw new ApiProblem("createMerchant", 201, ApiProblem.UNREADABLE, "no id or api_key in the answer", -1);
          }
          return new CreatedMerchant(id, apiKey);
        });
  }

  /**
   * {@code GET /admin/v1/audit?sweeper_lag_seconds=N}: the gateway's own check of the money
   * invariants, allowing orders {@code sweeperLagSeconds} past a deadline.
   */
  public Future<JsonObject> audit(long sweeperLagSeconds) {
    return transport.send("audit", HttpMethod.GET, "/admin/v1/audit?sweeper_lag_seconds=" + sweeperLagSeconds,
        adminToken, null, null);
  }

  /**
   * One page of {@code GET /admin/v1/disputes?state=open}: {@code {items, next_cursor}}.
   *
   * @param cursor the previous page's {@code next_cursor}, or null for the first page
   */
  public Future<JsonObject> openDisputes(String cursor) {
    String query = cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
    return transport.send("listDisputes", HttpMethod.GET, "/admin/v1/disputes?state=open" + query, adminToken,
        null, null);
  }

  /**
   * {@code POST /admin/v1/merchants/{id}/deposit/top-ups} under a fresh Idempotency-Key (a retry tops up
   * once): the deposit after it.
   */
  public Future<JsonObject> topUpDeposit(String merchantId, long amountMinor, String currency) {
    return transport.send("topUpDeposit", HttpMethod.POST, "/admin/v1/merchants/" + merchantId + "/deposit/top-ups",
        adminToken, new JsonObject().put("amount", amountMinor).put("currency", currency), MerchantCalls.freshKey());
  }

  /** {@code POST /admin/v1/skus/{id}/backup-sources}: the SKUs tried, in this order, when the SKU's shop fails. */
  public Future<JsonObject> setBackupSources(String skuId, List<String> backupSkuIds) {
    JsonArray sources = new JsonArray();
    backupSkuIds.forEach(id -> sources.add(new JsonObject().put("sku_id", id)));
    return transport.send("setBackupSources", HttpMethod.POST, "/admin/v1/skus/" + skuId + "/backup-sources",
        adminToken, new JsonObject().put("sources", sources), MerchantCalls.freshKey());
  }

  /** {@code GET /v1/merchants/{id}/reliability}: public, as checkout pages show it. */
  public Future<JsonObject> reliability(String merchantId) {
    return transport.send("getMerchantReliability", HttpMethod.GET, "/v1/merchants/" + merchantId + "/reliability",
        null, null, null);
  }

  /** {@code POST /admin/v1/disputes/{id}/decision}. */
  public Future<JsonObject> decideDispute(String disputeId, String award) {
    return transport.send("decideDispute", HttpMethod.POST, "/admin/v1/disputes/" + disputeId + "/decision",
        adminToken, new JsonObject().put("award", award), "decide-" + disputeId);
  }
}
