package io.keyhold.gateway.api;

import io.keyhold.adapters.resilience.ResilientCalls;
import io.keyhold.gateway.store.WebhookDeliveries;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What a shop sees of its own plumbing: {@code GET /v1/webhook-deliveries?state=&cursor=} (the webhooks Keyhold
 * sent or still retries, with their last error) and {@code GET /v1/adapter-health} (this gateway's view of the calls
 * to the shop's adapter and issuer checks: each circuit breaker's state and the calls' outcomes and latency).
 */
public final class MerchantHealthRoutes {
  static final String BREAKER_STATE_METRIC = "resilience4j.circuitbreaker.state";

  private final WebhookDeliveries webhooks;
  private final MeterRegistry meters;

  private MerchantHealthRoutes(WebhookDeliveries webhooks, MeterRegistry meters) {
    this.webhooks = webhooks;
    this.meters = meters;
  }

  public static void mount(Endpoints endpoints, WebhookDeliveries webhooks, MeterRegistry meters) {
    MerchantHealthRoutes routes = new MerchantHealthRoutes(webhooks, meters);
    endpoints.get("listWebhookDeliveries", Caller.Kind.MERCHANT, routes::deliveries);
    endpoints.get("getAdapterHealth", Caller.Kind.MERCHANT,
        request -> Future.succeededFuture(Reply.ok(routes.health(request.merchantId()))));
  }

  private Future<Reply> deliveries(ApiRequest request) {
    String cursor = request.queryParam("cursor");
    Long before;
    try {
      before = cursor == null ? null : Long.valueOf(cursor);
    } catch (NumberFormatException e) {
      return Future.failedFuture(new ProblemException(Problem.invalid(List.of(new FieldError("query:cursor",
          FieldError.Code.INVALID_VALUE, "is not a cursor this API gave out")))));
    }
    int pageSize = OrderRoutes.PAGE_SIZE_DEFAULT;
    return webhooks.list(request.merchantId(), request.queryParam("state"), before, pageSize + 1).map(found -> {
      List<JsonObject> page = found.subList(0, Math.min(pageSize, found.size()));
      String next = found.size() > pageSize ? String.valueOf(page.get(page.size() - 1).getLong("id")) : null;
      return Reply.ok(new JsonObject().put("items", new JsonArray(List.copyOf(page))).put("next_cursor", next));
    });
  }

  /** Every component named {@code <merchant id>/<component>} in this gateway's meters, with its breaker and calls. */
  private JsonObject health(String merchantId) {
    String prefix = merchantId + "/";
    Map<String, JsonObject> components = new TreeMap<>();
    for (Gauge gauge : meters.find(BREAKER_STATE_METRIC).gauges()) {
      String name = gauge.getId().getTag("name");
      if (name != null && name.startsWith(prefix) && gauge.value() == 1) {
        component(components, name, prefix).put("circuit_state", gauge.getId().getTag("state"));
      }
    }
    for (Timer timer : meters.find(ResilientCalls.CALLS_METRIC).timers()) {
      String name = timer.getId().getTag("name");
      if (name == null || !name.startsWith(prefix) || timer.count() == 0) {
        continue;
      }
      JsonObject component = component(components, name, prefix);
      JsonObject outcomes = component.getJsonObject("calls");
      String outcome = timer.getId().getTag("outcome");
      outcomes.put(outcome, outcomes.getLong(outcome, 0L) + timer.count());
      component.put("latency_ms_max", Math.max(component.getDouble("latency_ms_max", 0.0),
          timer.max(TimeUnit.MILLISECONDS)));
      double total = component.getDouble("total_ms", 0.0) + timer.totalTime(TimeUnit.MILLISECONDS);
      long count = component.getLong("count", 0L) + timer.count();
      component.put("total_ms", total).put("count", count).put("latency_ms_mean", total / count);
    }
    JsonArray items = new JsonArray();
    components.values().forEach(component -> {
      component.remove("total_ms");
      component.remove("count");
      items.add(component);
    });
    return new JsonObject().put("merchant_id", merchantId).put("components", items);
  }

  private static JsonObject component(Map<String, JsonObject> components, String name, String prefix) {
    return components.computeIfAbsent(name, ignored -> new JsonObject()
        .put("name", name.substring(prefix.length()))
        .put("circuit_state", "closed")
        .put("calls", new JsonObject()));
  }
}
