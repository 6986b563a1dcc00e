package io.keyhold.gateway.api;

import io.keyhold.escrow.Money;
import io.keyhold.gateway.adapters.PaymentProvider;
import io.keyhold.gateway.adapters.SandboxProvider;
import io.keyhold.gateway.engine.Payments;
import io.keyhold.gateway.store.Ids;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.OrderTokens;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Payment routes: every provider's notify endpoint ({@code POST /v1/payments/{provider}/notify}), and
 * the sandbox provider's buyer side ({@code POST /v1/sandbox/payments}, {@code .../confirm} and the
 * {@code GET /sandbox/pay/{payment_id}} page). All public: a notice is authenticated by its
 * signature, a sandbox payment by the order token, a confirmation by the unguessable payment id.
 */
public final class PaymentRoutes {
  private static final Set<String> START_FIELDS = Set.of("order_id", "order_token", "amount", "return_url");
  public static final int RETURN_URL_LENGTH_MAX = 300;
  /** A same-origin path: one leading "/", never "//" or a backslash, no spaces or control characters. */
  private static final Pattern RETURN_PATH = Pattern.compile("/(?![/\\\\])[\\x21-\\x7e&&[^\\\\]]*");
  private static final Set<String> AMOUNT_FIELDS = Set.of("amount", "currency");
  private static final Pattern ORDER_ID = Ids.pattern("ord");
  /** The largest amount the sandbox takes: the largest order total (price bound times quantity bound). */
  public static final long AMOUNT_MINOR_MAX = 100_000_000_000_000L;
  private static final JsonObject ACCEPTED = new JsonObject().put("status", "accepted");

  private final Payments payments;
  private final SandboxProvider sandbox;
  private final OrderStore orders;
  private final Supplier<String> baseUrl;
  private final String checkoutProvider;
  private static final Set<String> CHECKOUT_START_FIELDS = Set.of("order_id", "order_token", "return_url");
  /** The refunds-owed report's length: an operator settles them long before there are this many. */
  public static final int REFUNDS_OWED_REPORT_MAX = 1000;

  private PaymentRoutes(Payments payments, SandboxProvider sandbox, OrderStore orders, Supplier<String> baseUrl,
      String checkoutProvider) {
    this.checkoutProvider = checkoutProvider;
    this.payments = payments;
    this.sandbox = sandbox;
    this.orders = orders;
    this.baseUrl = baseUrl;
  }

  /**
   * @param checkoutProvider the provider {@code POST /v1/payments/start} (the checkout page) pays through
   */
  public static void mount(Endpoints endpoints, Payments payments, SandboxProvider sandbox, OrderStore orders,
      Supplier<String> baseUrl, String checkoutProvider) {
    PaymentRoutes routes = new PaymentRoutes(payments, sandbox, orders, baseUrl, checkoutProvider);
    endpoints.notice("paymentNotify", Caller.Kind.PUBLIC, routes::notify);
    endpoints.noticeByGet("paymentNotifyByQuery", Caller.Kind.PUBLIC, routes::notifyByQuery);
    endpoints.post("startPayment", Caller.Kind.PUBLIC, routes::startPayment);
    endpoints.get("listRefundsOwed", Caller.Kind.ADMIN, routes::refundsOwed);
    endpoints.post("createSandboxPayment", Caller.Kind.PUBLIC, routes::start);
    endpoints.post("confirmSandboxPayment", Caller.Kind.PUBLIC, routes::confirm);
    endpoints.get("getSandboxPayPage", Caller.Kind.PUBLIC, routes::page);
  }

  private Future<Reply> notify(ApiRequest request) {
    Buffer raw = request.routingContext().body().buffer();
    String providerId = request.pathParam("provider");
    return payments.notice(providerId, request.routingContext().request().headers(), raw)
        .map(done -> accepted(providerId));
  }

  /** A notice sent as a GET (易支付 sites call notify_url so): the raw query string is the notice. */
  private Future<Reply> notifyByQuery(ApiRequest request) {
    String providerId = request.pathParam("provider");
    PaymentProvider provider = payments.provider(providerId);
    if (provider != null && provider.noticeAnswer() == null) {
      return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND,
          "This provider sends its notices as a POST"));
    }
    String query = request.routingContext().request().query();
    return payments.notice(providerId, request.routingContext().request().headers(),
            query == null ? null : Buffer.buffer(query))
        .map(done -> accepted(providerId));
  }

  /** The answer to a recorded notice: the provider's own text (易支付's {@code success}), or {"status":"accepted"}. */
  private Reply accepted(String providerId) {
    PaymentProvider provider = payments.provider(providerId);
    String text = provider == null ? null : provider.noticeAnswer();
    return text == null ? Reply.ok(ACCEPTED)
        : new Reply(200, "text/plain; charset=utf-8", Buffer.buffer(text), Map.of("Cache-Control", "no-store"));
  }

  /**
   * The checkout page's pay step: a payment of the order's total through the operator's checkout provider (the
   * sandbox's own pay page, or a remote site such as 易支付), and where to send the buyer.
   */
  private Future<Reply> startPayment(ApiRequest request) {
    JsonInput in = JsonInput.of(request.body(), CHECKOUT_START_FIELDS);
    String orderId = in.requiredMatching("order_id", ORDER_ID, 64);
    String token = in.requiredString("order_token", 1, OrderTokens.TOKEN_LENGTH_MAX);
    String returnUrl = in.optionalString("return_url", 1, RETURN_URL_LENGTH_MAX);
    if (returnUrl != null && (!RETURN_PATH.matcher(returnUrl).matches() || returnUrl.contains("//"))) {
      in.reject("return_url", FieldError.Code.INVALID_FORMAT, "must be a path on this site, starting with one /");
    }
    in.done();
    return orders.payableForBuyer(orderId, token).compose(order -> {
      if (order == null) {
        return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND, "No such order"));
      }
      if (SandboxProvider.ID.equals(checkoutProvider)) {
        return sandbox.start(order.merchantId(), order.orderId(), order.total(), returnUrl)
            .map(payment -> started(SandboxProvider.ID, payment.id(), payUrl(payment.id())));
      }
      String base = baseUrl.get();
      return payments.start(checkoutProvider, order, base + "/v1/payments/" + checkoutProvider + "/notify",
              returnUrl == null ? null : base + returnUrl)
          .map(payment -> started(payment.providerId(), payment.transactionId(), payment.payUrl()));
    });
  }

  private static Reply started(String providerId, String paymentId, String payUrl) {
    return new Reply(201, Reply.JSON, new JsonObject().put("provider", providerId).put("payment_id", paymentId)
        .put("pay_url", payUrl).toBuffer(), Map.of("Cache-Control", "no-store"));
  }

  /** The operator's report of refunds a provider could not make. */
  private Future<Reply> refundsOwed(ApiRequest request) {
    return payments.refundsOwed(REFUNDS_OWED_REPORT_MAX).map(owed -> Reply.ok(new JsonObject()
        .put("items", new JsonArray(owed))));
  }

  private Future<Reply> start(ApiRequest request) {
    JsonInput in = JsonInput.of(request.body(), START_FIELDS);
    String orderId = in.requiredMatching("order_id", ORDER_ID, 64);
    String token = in.requiredString("order_token", 1, OrderTokens.TOKEN_LENGTH_MAX);
    JsonInput amountIn = in.requiredObject("amount", AMOUNT_FIELDS);
    long minor = amountIn == null ? 0 : amountIn.requiredLong("amount", 1, AMOUNT_MINOR_MAX);
    String currency = amountIn == null ? null : amountIn.requiredCurrency("currency");
    String returnUrl = in.optionalString("return_url", 1, RETURN_URL_LENGTH_MAX);
    if (returnUrl != null && (!RETURN_PATH.matcher(returnUrl).matches() || returnUrl.contains("//"))) {
      in.reject("return_url", FieldError.Code.INVALID_FORMAT, "must be a path on this site, starting with one /");
    }
    in.done();
    Money amount = Money.of(minor, currency);
    return orders.payableForBuyer(orderId, token).compose(order -> {
      if (order == null) {
        return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND, "No such order"));
      }
      return sandbox.start(order.merchantId(), order.orderId(), amount, returnUrl)
          .map(payment -> Reply.created(payment.toJson(payUrl(payment.id())), "/sandbox/pay/" + payment.id()));
    });
  }

  private Future<Reply> confirm(ApiRequest request) {
    return sandbox.confirm(request.pathParam("payment_id")).compose(payment -> payment == null
        ? Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND, "No such sandbox payment"))
        : Future.succeededFuture(Reply.ok(payment.toJson(payUrl(payment.id())))));
  }

  private Future<Reply> page(ApiRequest request) {
    String paymentId = request.pathParam("payment_id");
    return sandbox.find(paymentId).compose(payment -> {
      if (payment == null) {
        return Future.failedFuture(new ProblemException(ProblemCode.NOT_FOUND, "No such sandbox payment"));
      }
      return Future.succeededFuture(new Reply(200, "text/html; charset=utf-8", Buffer.buffer(html(payment)),
          Map.of("Cache-Control", "no-store", "Content-Security-Policy",
              "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")));
    });
  }

  private String payUrl(String paymentId) {
    return baseUrl.get() + "/sandbox/pay/" + paymentId;
  }

  /** The sandbox's pay page; every value in it is an id or a number the gateway made, nothing a user typed. */
  private static String html(SandboxProvider.SandboxPayment payment) {
    String amount = payment.amount().toString();
    String state = payment.state();
    return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<title>Keyhold sandbox payment</title>"
        + "<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
        + "button{font-size:1.1rem;padding:.6rem 1.4rem}</style></head><body>"
        + "<h1>Sandbox payment</h1>"
        + "<p>This is Keyhold's test payment provider. No real money moves.</p>"
        + "<p>Order <code>" + payment.orderId() + "</code><br>Amount <strong>" + amount + "</strong></p>"
        + "<p id=\"state\">State: " + state + "</p>"
        + "<button id=\"pay\"" + ("paid".equals(state) ? " disabled" : "") + ">Pay " + amount + "</button>"
        + "<script>document.getElementById('pay').addEventListener('click',function(){"
        + "var b=this;b.disabled=true;fetch('/v1/sandbox/payments/" + payment.id() + "/confirm',"
        + "{method:'POST',headers:{'Content-Type':'application/json'},body:'{}'})"
        + ".then(function(r){return r.json()}).then(function(p){"
        + "document.getElementById('state').textContent='State: '+p.state;"
        + "if(p.state==='paid'&&typeof p.return_url==='string'&&/^\\/[^\\/\\\\]/.test(p.return_url)){"
        + "location.assign(p.return_url);}})"
        + ".catch(function(){b.disabled=false;});});</script>"
        + "</body></html>";
  }
}
