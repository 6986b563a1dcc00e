package io.keyhold.gateway.api;

import io.keyhold.escrow.DisputeReason;
import io.keyhold.escrow.OrderEvent;
import io.keyhold.gateway.engine.BuyerOrders;
import io.keyhold.gateway.engine.EvidenceBundles;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The buyer API (openapi.yaml, tag {@code buyer}): the order, its live events, reveal, confirm, cancel, disputes and
 * the signed evidence bundle; plus the public evidence key. Every buyer route is authenticated by
 * the order token ({@link Caller.Kind#BUYER}: a wrong token or unknown order is 404, none is 401),
 * and every answer carries {@code Cache-Control: no-store}.
 */
final class BuyerRoutes {
  public static final String NO_STORE = "no-store";

  private static final Set<String> NO_FIELDS = Set.of();
  private static final Set<String> DISPUTE_FIELDS = Set.of("reason", "text");
  private static final Pattern DISPUTE_REASON = Pattern.compile(Arrays.stream(DisputeReason.values())
      .map(DisputeReason::code).collect(Collectors.joining("|")));

  private final BuyerOrders buyers;
  private final OrderStreams streams;
  private final EvidenceBundles evidence;

  private BuyerRoutes(BuyerOrders buyers, OrderStreams streams, EvidenceBundles evidence) {
    this.buyers = buyers;
    this.streams = streams;
    this.evidence = evidence;
  }

  public static void mount(Endpoints endpoints, BuyerOrders buyers, OrderStreams streams, EvidenceBundles evidence) {
    BuyerRoutes routes = new BuyerRoutes(buyers, streams, evidence);
    endpoints.get("getBuyerOrder", Caller.Kind.BUYER, routes::getOrder);
    endpoints.stream("getBuyerOrderEvents", Caller.Kind.BUYER,
        request -> streams.serve(request.routingContext(), request.caller().requireOrderId()));
    endpoints.postClaimedByItsChange("revealBuyerOrder", Caller.Kind.BUYER,
        request -> routes.act(request, new OrderEvent.Reveal()));
    endpoints.postClaimedByItsChange("confirmBuyerOrder", Caller.Kind.BUYER,
        request -> routes.act(request, new OrderEvent.Confirm()));
    endpoints.postClaimedByItsChange("cancelBuyerOrder", Caller.Kind.BUYER,
        request -> routes.act(request, new OrderEvent.Cancel()));
    endpoints.postClaimedByItsChange("openBuyerDispute", Caller.Kind.BUYER, routes::openDispute);
    endpoints.get("getBuyerEvidence", Caller.Kind.BUYER, routes::getEvidence);
    endpoints.get("getEvidenceKey", Caller.Kind.PUBLIC,
        request -> Future.succeededFuture(noStore(evidence.publicKey(), Map.of())));
  }

  private Future<Reply> getOrder(ApiRequest request) {
    return buyers.view(request.caller().requireOrderId(), true).map(view -> {
      if (view == null) {
        throw new ProblemException(ProblemCode.NOT_FOUND, "No such order");
      }
      return noStore(view, Map.of());
    });
  }

  private Future<Reply> act(ApiRequest request, OrderEvent event) {
    JsonInput.of(request.body(), NO_FIELDS).done();
    return buyers.act(request.caller().requireOrderId(), event, true, request.changeGate())
        .map(view -> noStore(view, Map.of()));
  }

  private Future<Reply> openDispute(ApiRequest request) {
    JsonInput in = JsonInput.of(request.body(), DISPUTE_FIELDS);
    String reason = in.requiredMatching("reason", DISPUTE_REASON, 32);
    String text = in.requiredString("text", 0, OrderEvent.DISPUTE_TEXT_LENGTH_MAX);
    if (text != null && text.length() > OrderEvent.DISPUTE_TEXT_LENGTH_MAX) {
      // escrow-core counts UTF-16 units; characters outside the BMP count twice there.
      in.reject("text", FieldError.Code.TOO_LONG, "must have at most " + OrderEvent.DISPUTE_TEXT_LENGTH_MAX
          + " UTF-16 code units");
    }
    in.done();
    OrderEvent event = new OrderEvent.DisputeOpened(DisputeReason.fromCode(reason), text);
    return buyers.act(request.caller().requireOrderId(), event, true, request.changeGate())
        .map(view -> noStore(view, Map.of()));
  }

  private Future<Reply> getEvidence(ApiRequest request) {
    String orderId = request.caller().requireOrderId();
    return evidence.signed(orderId).map(signed -> {
      if (signed == null) {
        throw new ProblemException(ProblemCode.NOT_FOUND, "No such order");
      }
      Map<String, String> headers = "1".equals(request.queryParam("download"))
          ? Map.of("Content-Disposition", "attachment; filename=\"keyhold-evidence-" + orderId + ".json\"")
          : Map.of();
      return noStore(signed, headers);
    });
  }

  private static Reply noStore(JsonObject body, Map<String, String> extra) {
    Map<String, String> headers = new HashMap<>(extra);
    headers.put("Cache-Control", NO_STORE);
    return new Reply(200, Reply.JSON, body.toBuffer(), headers);
  }
}
