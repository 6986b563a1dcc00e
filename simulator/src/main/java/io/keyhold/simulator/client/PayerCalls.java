package io.keyhold.simulator.client;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.URI;

/**
 * The buyer as payer: at the sandbox payment provider (a payment for the order, then "Pay"), or through the
 * gateway's checkout provider, a remote site such as 易支付, as a browser goes there: the gateway's payment
 * start, its {@code pay_url} followed to the site's pay page, "Pay" pressed there.
 */
public final class PayerCalls {
  /** The checkout page's pay step. */
  public static final String START_PATH = "/v1/payments/start";
  /** The problem code of a payment site's answer a browser could not go on from (no redirect where one belongs). */
  public static final String SITE_REFUSED = "payment_site_refused";

  private final GatewayTransport transport;

  PayerCalls(GatewayTransport transport) {
    this.transport = transport;
  }

  /** {@code POST /v1/sandbox/payments}: the payment's id. */
  public Future<String> createPayment(String orderId, String orderToken, Amount amount, String idempotencyKey) {
    JsonObject body = new JsonObject().put("order_id", orderId).put("order_token", orderToken)
        .put("amount", amount.toJson());
    return transport.send("createPayment", HttpMethod.POST, "/v1/sandbox/payments", null, body, idempotencyKey)
        .map(json -> {
          String id = json.getString("payment_id");
          if (id == null) {
            throw new ApiProblem("createPayment", 201, ApiProblem.UNREADABLE, "no payment_id in the answer", -1);
          }
          return id;
        });
  }

  /** {@code POST /v1/sandbox/payments/{id}/confirm}: the buyer presses "Pay". */
  public Future<JsonObject> confirmPayment(String paymentId, String idempotencyKey) {
    return transport.send("confirmPayment", HttpMethod.POST, "/v1/sandbox/payments/" + paymentId + "/confirm", null,
        new JsonObject(), idempotencyKey);
  }

  /** {@code POST /v1/payments/start}: the payment the checkout page's pay button starts, and where to pay it. */
  public Future<StartedPayment> startPayment(String orderId, String orderToken, String returnPath,
      String idempotencyKey) {
    JsonObject body = new JsonObject().put("order_id", orderId).put("order_token", orderToken);
    if (returnPath != null) {
      body.put("return_url", returnPath);
    }
    return transport.send("startPayment", HttpMethod.POST, START_PATH, null, body, idempotencyKey).map(json -> {
      String id = json.getString("payment_id");
      String payUrl = json.getString("pay_url");
      if (id == null || payUrl == null || !payUrl.startsWith("http")) {
        throw new ApiProblem("startPayment", 201, ApiProblem.UNREADABLE, "no payment_id or absolute pay_url", -1);
      }
      return new StartedPayment(json.getString("provider"), id, payUrl);
    });
  }

  /**
   * The browser follows {@code pay_url} to the site ({@code submit.php}, which records the trade and redirects
   * to its pay page): the pay page's absolute URL.
   */
  public Future<String> openPaySite(String payUrl) {
    return transport.atSite("epaySubmit", HttpMethod.GET, payUrl).map(answer -> {
      if (answer.status() != 302 || answer.location() == null) {
        throw new ApiProblem("epaySubmit", answer.status(), SITE_REFUSED, "no redirect to the pay page", -1);
      }
      return URI.create(payUrl).resolve(answer.location()).toString();
    });
  }

  /**
   * The buyer presses "Pay" on the site's pay page (a form POST); the site takes the money and sends the browser
   * back to the gateway (302), whose page the simulator does not load: the buyer follows the order by its API.
   */
  public Future<Void> payAtSite(String payPageUrl) {
    return transport.atSite("epayPay", HttpMethod.POST, payPageUrl).map(answer -> {
      if (answer.status() != 302) {
        throw new ApiProblem("epayPay", answer.status(), SITE_REFUSED, "the site did not take the payment", -1);
      }
      return null;
    });
  }
}
