package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.TestGateway.Response;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The answers of whole order lives, as a client generated from openapi.yaml would read them: every answer
 * matches its operation's documented schema, with every object closed for the check, so a member the
 * server sends and the document does not name fails here instead of surprising a client.
 */
class OpenApiAnswersTest {
  private static final String BASE_URI = "https://keyhold.invalid/openapi.yaml";
  private static TestGateway gw;
  private static Purchases purchases;
  private static JsonObject document;
  private static JsonObject closedDocument;

  @BeforeAll
  static void start() throws Exception {
    try (InputStream in = OpenApiAnswersTest.class.getClassLoader().getResourceAsStream(OpenApiValidation.RESOURCE)) {
      Object tree = new Yaml(new SafeConstructor(new LoaderOptions()))
          .load(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      document = new JsonObject(Json.encode(tree));
    }
    closedDocument = (JsonObject) closed(document.copy());
    gw = TestGateway.start();
    purchases = new Purchases(gw);
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void aMerchantsAnswersMatchTheDocument() {
    Purchases.Shop shop = purchases.stockShop(3, null);
    Purchases.Purchase purchase = purchases.readyOrder(shop, 2);
    String merchantKey = shop.merchant().apiKey();

    conforms("createSku", gw.post("/v1/skus", merchantKey, new JsonObject().put("name", "Card").put("price", 500)
        .put("currency", "CNY").put("validators", new JsonArray().add(new JsonObject().put("type", "format")
            .put("pattern", "^CARD-.*$"))).encode()));
    conforms("getSku", gw.get("/v1/skus/" + shop.skuId(), merchantKey));
    conforms("getOrder", gw.get("/v1/orders/" + purchase.orderId(), merchantKey));
    conforms("listOrders", gw.get("/v1/orders", merchantKey));
    conforms("listOrders", gw.get("/v1/orders?state=ready&limit=1", merchantKey));
    conforms("getStock", gw.get("/v1/skus/" + shop.skuId() + "/stock", merchantKey));
    conforms("uploadStock", gw.uploadKeys(shop.merchant(), shop.skuId(), List.of("CARD-ANSWERS-" + System.nanoTime())));
    conforms("createCheckoutSession", gw.post("/v1/checkout-sessions", merchantKey,
        new JsonObject().put("sku_id", shop.skuId()).put("quantity", 1).put("buyer_ref", "answers").encode()));
    conforms("getOrder", gw.get("/v1/orders/ord_" + "a".repeat(24), merchantKey));
    conforms("pushDeliveries", gw.post("/v1/orders/" + purchase.orderId() + "/deliveries", merchantKey,
        new JsonObject().put("units", new JsonArray().add(new JsonObject().put("index", 5).put("key", "K"))).encode()));
  }

  @Test
  void aBuyersAnswersMatchTheDocument() {
    Purchases.Shop shop = purchases.stockShop(3, null);
    Purchases.Purchase purchase = purchases.checkout(shop, 1);

    conforms("getCheckoutSession", gw.get("/v1/checkout-sessions/" + purchase.sessionId(), null));
    conforms("getBuyerOrder", purchases.get(purchase));
    Response payment = gw.post("/v1/sandbox/payments", null, new JsonObject().put("order_id", purchase.orderId())
        .put("order_token", purchase.token()).put("return_url", "/orders/" + purchase.orderId())
        .put("amount", new JsonObject().put("amount", 1000).put("currency", "CNY")).encode());
    conforms("createSandboxPayment", payment);
    conforms("confirmSandboxPayment",
        gw.post("/v1/sandbox/payments/" + payment.json().getString("payment_id") + "/confirm", null, "{}"));
    purchases.awaitState(purchase, "ready");
    conforms("getBuyerOrder", purchases.get(purchase));
    conforms("revealBuyerOrder", purchases.act(purchase, "reveal"));
    conforms("getBuyerEvidence", gw.get(purchase.path("/evidence"), purchase.token()));
    conforms("confirmBuyerOrder", purchases.act(purchase, "confirm"));
    conforms("cancelBuyerOrder", purchases.act(purchase, "cancel"));
    conforms("getEvidenceKey", gw.get("/v1/evidence-key", null));
    conforms("paymentNotify", gw.post("/v1/payments/sandbox/notify", null, "{}"));
  }

  @Test
  void anOperatorsAnswersMatchTheDocument() {
    Purchases.Shop shop = purchases.stockShop(2, null);
    Purchases.Purchase purchase = purchases.readyOrder(shop, 1);
    purchases.act(purchase, "reveal");

    conforms("openBuyerDispute", gw.post(purchase.path("/disputes"), purchase.token(),
        new JsonObject().put("reason", "key_invalid").put("text", "It says used").encode()));
    Response open = gw.get("/admin/v1/disputes", gw.adminToken());
    conforms("listDisputes", open);
    String disputeId = open.json().getJsonArray("items").getJsonObject(0).getString("id");
    conforms("decideDispute", gw.post("/admin/v1/disputes/" + disputeId + "/decision", gw.adminToken(),
        new JsonObject().put("award", "refund").encode()));
    conforms("listDisputes", gw.get("/admin/v1/disputes?state=decided", gw.adminToken()));
    conforms("getBuyerOrder", purchases.get(purchase));
    conforms("getAudit", gw.get("/admin/v1/audit", gw.adminToken()));
    conforms("getHealth", gw.get("/health", null));
    conforms("getLiveness", gw.get("/health/live", null));
    conforms("getReadiness", gw.get("/health/ready", null));
  }

  /** Checks {@code response} against what the document says operation {@code operationId} answers with its status. */
  private static void conforms(String operationId, Response response) {
    JsonObject schema = answerSchema(operationId, response.status(), response.contentType());
    JsonObject root = closedDocument.copy().put("$ref", "#/x-answer").put("x-answer", schema);
    Validator validator = Validator.create(JsonSchema.of(root),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri(BASE_URI).setOutputFormat(OutputFormat.Basic));
    OutputUnit result = validator.validate(response.json());
    List<String> errors = new ArrayList<>();
    if (result.getErrors() != null) {
      result.getErrors().forEach(error -> errors.add(error.getInstanceLocation() + " " + error.getKeywordLocation()
          + ": " + error.getError()));
    }
    assertThat(result.getValid()).as("%s %s answered %s%nwhich the document does not describe: %s", operationId,
        response.status(), response.body(), errors).isTrue();
  }

  /** The schema of the answer {@code status} of {@code operationId}, for the answer's media type. */
  private static JsonObject answerSchema(String operationId, int status, String contentType) {
    JsonObject operation = operation(operationId);
    JsonObject responses = operation.getJsonObject("responses");
    String statusKey = Integer.toString(status);
    JsonObject answer = responses.getJsonObject(statusKey,
        responses.getJsonObject(statusKey.charAt(0) + "XX", responses.getJsonObject("default")));
    assertThat(answer).as("%s documents no answer %s", operationId, status).isNotNull();
    if (answer.containsKey("$ref")) {
      String name = answer.getString("$ref").substring("#/components/responses/".length());
      answer = document.getJsonObject("components").getJsonObject("responses").getJsonObject(name);
    }
    String mediaType = contentType == null ? "" : contentType.split(";")[0].trim();
    JsonObject content = answer.getJsonObject("content");
    assertThat(content).as("%s %s documents no body", operationId, status).isNotNull();
    assertThat(content.getJsonObject(mediaType)).as("%s %s documents no %s body", operationId, status, mediaType)
        .isNotNull();
    return (JsonObject) closed(content.getJsonObject(mediaType).getJsonObject("schema").copy());
  }

  private static JsonObject operation(String operationId) {
    for (Map.Entry<String, Object> path : document.getJsonObject("paths")) {
      for (Map.Entry<String, Object> method : (JsonObject) path.getValue()) {
        if (method.getValue() instanceof JsonObject operation && operationId.equals(operation.getString("operationId"))) {
          return operation;
        }
      }
    }
    throw new AssertionError("openapi.yaml has no operation " + operationId);
  }

  /**
   * A copy where every object schema that lists its properties allows no other: the check fails on an
   * undocumented member. Schemas that say what else they allow (maps, free-form objects) keep it.
   */
  private static Object closed(Object node) {
    if (node instanceof JsonObject object) {
      if (object.containsKey("properties") && !object.containsKey("additionalProperties")) {
        object.put("additionalProperties", false);
      }
      for (String field : List.copyOf(object.fieldNames())) {
        object.put(field, closed(object.getValue(field)));
      }
      return object;
    }
    if (node instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, closed(array.getValue(i)));
      }
      return array;
    }
    return node;
  }
}
