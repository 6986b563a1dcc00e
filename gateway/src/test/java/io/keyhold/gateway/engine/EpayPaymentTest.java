package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.adapters.reference.epay.EpayFaults;
import io.keyhold.adapters.reference.epay.EpaySigning;
import io.keyhold.adapters.reference.epay.EpaySite;
import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.testing.CapturedLogs;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code epay} provider against the stand-in 易支付 site, over real HTTP and PostgreSQL: the buyer is sent
 * to the site's submit.php, pays there, the site's GET notice is answered {@code success}; faults of the site
 * (repeated, reordered, missing, forged notices; a refund API absent) never move money twice or silently.
 */
class EpayPaymentTest {
  private static final String PID = "1001";
  private static final String KEY = "epay-test-merchant-key-0123456789abcdef";
  private static Vertx siteVertx;
  private static EpaySite site;
  private static Flows flows;
  private static Purchases purchases;
  private static Purchases.Shop shop;
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    siteVertx = Vertx.vertx();
    site = TestGateway.await(EpaySite.start(siteVertx, EpaySite.Options.md5(PID, KEY)));
    flows = Flows.start(engine -> engine.paymentPollAfterMs(500).paymentPollIntervalMs(100).checkoutProvider("epay")
        .paymentProviders(new JsonObject().put("epay", new JsonObject().put("api_base_url", site.baseUrl())
            .put("pid", PID).put("key", KEY))), config -> { });
    purchases = new Purchases(flows.gw);
    shop = purchases.stockShop(40, null);
  }

  @AfterAll
  static void stop() throws Exception {
    flows.close();
    TestGateway.await(site.close());
    TestGateway.await(siteVertx.close());
  }

  @BeforeEach
  void noFaults() {
    site.faults(EpayFaults.NONE);
  }

  @Test
  void aPurchasePaidThroughTheSiteIsReleased() throws Exception {
    Purchases.Purchase purchase = purchases.checkout(shop, 2);
    String outTradeNo = payAtSite(purchase);

    purchases.awaitState(purchase, "ready");
    assertThat(purchases.act(purchase, "reveal").status()).isEqualTo(200);
    assertThat(purchases.act(purchase, "confirm").json().getString("state")).isEqualTo("released");
    assertThat(site.trade(outTradeNo).cents()).isEqualTo(2000);
    assertThat(flows.gw.query("SELECT use FROM payments WHERE provider = 'epay' AND provider_txn_id = $1",
        outTradeNo)).singleElement().satisfies(row -> assertThat(row.getString("use")).isEqualTo("funded"));
  }

  @Test
  void fundsTheOrderOnceWhenTheSiteRepeatsAndReordersItsNotice() throws Exception {
    site.faults(EpayFaults.NONE.withRepeatNotices(true).withReorderNotices(true));
    Purchases.Purchase purchase = purchases.checkout(shop, 1);
    String outTradeNo = payAtSite(purchase);
    purchases.awaitState(purchase, "ready");
    await(() -> notices(outTradeNo) >= 2, "the repeated notices");

    // The same notice again, long after: a replay answered success that moves nothing.
    String sent = site.sentNotices().stream().filter(url -> url.contains(outTradeNo)).findFirst().orElseThrow();
    HttpResponse<String> replayed = get(sent);
    assertThat(replayed.statusCode()).isEqualTo(200);
    assertThat(replayed.body()).isEqualTo("success");

    assertThat(flows.gw.query("SELECT count(*) FROM payments WHERE order_id = $1", purchase.orderId())
        .get(0).getLong(0)).isEqualTo(1);
    assertThat(flows.gw.query("SELECT count(*) FROM refunds WHERE order_id = $1", purchase.orderId())
        .get(0).getLong(0)).isZero();
    assertThat(flows.gw.query("SELECT count(*) FROM ledger_postings WHERE order_id = $1 AND account LIKE 'escrow%'"
        + " AND amount_minor > 0", purchase.orderId()).get(0).getLong(0)).isEqualTo(1);
  }

  @Test
  void refusesForgedWrongAmountUnknownAndOtherMerchantNoticesAndMovesNoMoney() throws Exception {
    Purchases.Purchase purchase = purchases.checkout(shop, 1);
    String outTradeNo = startAtSite(purchase).outTradeNo();
    String notify = flows.gw.baseUrl() + "/v1/payments/epay/notify";
    Map<String, String> genuine = new LinkedHashMap<>();
    genuine.put("pid", PID);
    genuine.put("trade_no", "2024000000001");
    genuine.put("out_trade_no", outTradeNo);
    genuine.put("type", "alipay");
    genuine.put("name", "Keyhold " + purchase.orderId());
    genuine.put("money", "10.00");
    genuine.put("trade_status", "TRADE_SUCCESS");
    genuine.put("param", purchase.orderId());

    Map<String, String> forged = signed(genuine, KEY);
    forged.put("sign", "0".repeat(32));
    Map<String, String> wrongAmount = new LinkedHashMap<>(genuine);
    wrongAmount.put("money", "0.01");
    Map<String, String> unknown = new LinkedHashMap<>(genuine);
    unknown.put("out_trade_no", "kh" + "a".repeat(24));
    Map<String, String> otherMerchant = new LinkedHashMap<>(genuine);
    otherMerchant.put("pid", "2002");
    Map<String, String> otherOrder = new LinkedHashMap<>(genuine);
    otherOrder.put("param", purchases.checkout(shop, 1).orderId());

    for (Map<String, String> notice : List.of(forged, signed(wrongAmount, KEY), signed(unknown, KEY),
        signed(otherMerchant, KEY), signed(otherOrder, KEY))) {
      HttpResponse<String> answer = get(withQuery(notify, notice));
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(401);
      assertThat(answer.body()).doesNotContain("success");
    }

    assertThat(flows.gw.query("SELECT count(*) FROM payments WHERE order_id = $1", purchase.orderId())
        .get(0).getLong(0)).isZero();
    assertThat(flows.gw.query("SELECT refused_notices, last_refusal FROM payment_starts WHERE provider_txn_id = $1",
        outTradeNo)).singleElement().satisfies(row -> {
          assertThat(row.getInteger("refused_notices")).isEqualTo(2);
          assertThat(row.getString("last_refusal")).isEqualTo("order_mismatch");
        });
    assertThat(purchases.get(purchase).json().getString("state")).isEqualTo("awaiting_payment");
    assertThat(flows.gw.get("/metrics", flows.gw.adminToken()).body())
        .contains("keyhold_payment_notices_rejected_total{provider=\"epay\",reason=\"amount_mismatch\"}")
        .contains("keyhold_payment_notices_rejected_total{provider=\"epay\",reason=\"unknown_payment\"}")
        .contains("keyhold_payment_notices_rejected_total{provider=\"epay\",reason=\"pid_mismatch\"}");
  }

  @Test
  void refusesEveryNoticeTheSiteSignsWrongly() throws Exception {
    site.faults(EpayFaults.NONE.withWrongSignature(true));
    Purchases.Purchase purchase = purchases.checkout(shop, 1);
    Started started = startAtSite(purchase);
    String outTradeNo = started.outTradeNo();
    post(started.payUrl());
    await(() -> site.sentNotices().stream().filter(url -> url.contains(outTradeNo)).count() >= 2,
        "the forged notice and its retry");

    assertThat(flows.gw.query("SELECT count(*) FROM payments WHERE provider_txn_id = $1", outTradeNo)
        .get(0).getLong(0)).isZero();
  }

  @Test
  void recoversAPaymentWhoseNoticeNeverCameByTheQueryPoll() throws Exception {
    site.faults(EpayFaults.NONE.withDropNotices(true));
    Purchases.Purchase purchase = purchases.checkout(shop, 1);
    String outTradeNo = payAtSite(purchase);

    purchases.awaitState(purchase, "ready");
    assertThat(site.sentNotices()).noneMatch(url -> url.contains(outTradeNo));
    assertThat(polls(outTradeNo)).isPositive();
  }

  @Test
  void aStartedPaymentLeavesThePollLineOnceAppliedOrPastThePollAge() throws Exception {
    Purchases.Purchase paid = purchases.checkout(shop, 1);
    String paidNo = payAtSite(paid);
    purchases.awaitState(paid, "ready");
    // Applied: the next poll that meets it takes it out of the line, so no later poll walks past it.
    await(() -> retired(paidNo), "the applied payment to leave the poll line");
    int paidAsked = polls(paidNo);

    Purchases.Purchase abandoned = purchases.checkout(shop, 1);
    String abandonedNo = startAtSite(abandoned).outTradeNo();
    await(() -> polls(abandonedNo) > 0, "the unpaid payment to be asked about");
    // Started longer ago than the poll age: nobody asks about it any more, and it leaves the line.
    flows.gw.query("UPDATE payment_starts SET created_at = created_at - $2::int * interval '1 second',"
        + " next_poll_at = now() WHERE provider_txn_id = $1", abandonedNo,
        (int) Payments.POLL_AGE_MAX.plusHours(1).toSeconds());
    await(() -> retired(abandonedNo), "the payment past the poll age to leave the poll line");
    int abandonedAsked = polls(abandonedNo);

    // Out of the line, neither is asked about again (the poll runs every 100 ms here).
    Flows.pause(1_000);
    assertThat(polls(paidNo)).isEqualTo(paidAsked);
    assertThat(polls(abandonedNo)).isEqualTo(abandonedAsked);
  }

  private static boolean retired(String outTradeNo) {
    return flows.gw.query("SELECT next_poll_at = 'infinity' AS retired FROM payment_starts"
        + " WHERE provider_txn_id = $1", outTradeNo).get(0).getBoolean("retired");
  }

  private static int polls(String outTradeNo) {
    return flows.gw.query("SELECT polls FROM payment_starts WHERE provider_txn_id = $1", outTradeNo).get(0)
        .getInteger("polls");
  }

  @Test
  void refundsASecondPaymentThroughTheSiteRefundApi() throws Exception {
    Purchases.Purchase purchase = purchases.checkout(shop, 1);
    Started first = startAtSite(purchase);
    Started second = startAtSite(purchase);
    post(first.payUrl());
    purchases.awaitState(purchase, "ready");
    post(second.payUrl());

    await(() -> site.trade(second.outTradeNo()).refundedCents() == 1000, "the second payment refunded at the site");
    assertThat(site.trade(first.outTradeNo()).refundedCents()).isZero();
    await(() -> !flows.gw.query("SELECT 1 FROM refunds WHERE provider = 'epay' AND provider_txn_id = $1",
        second.outTradeNo()).isEmpty(), "the refund recorded");
    assertThat(flows.gw.query("SELECT count(*) FROM refunds_owed WHERE order_id = $1", purchase.orderId())
        .get(0).getLong(0)).isZero();
  }

  @Test
  void recordsARefundOwedWhenTheSiteHasNoRefundApi() throws Exception {
    site.faults(EpayFaults.NONE.withRefundApi(EpayFaults.RefundApi.ABSENT));
    Purchases.Purchase purchase = purchases.checkout(shop, 1);
    Started first = startAtSite(purchase);
    Started second = startAtSite(purchase);
    post(first.payUrl());
    purchases.awaitState(purchase, "ready");
    post(second.payUrl());

    await(() -> !flows.gw.query("SELECT 1 FROM refunds_owed WHERE provider_txn_id = $1", second.outTradeNo())
        .isEmpty(), "the refund owed");
    JsonObject report = flows.gw.get("/admin/v1/refunds-owed", flows.gw.adminToken()).json();
    assertThat(report.getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(item -> item.getString("provider_txn_id").equals(second.outTradeNo())))
        .singleElement().satisfies(item -> {
          assertThat(item.getString("order_id")).isEqualTo(purchase.orderId());
          assertThat(item.getJsonObject("amount").getLong("amount")).isEqualTo(1000);
          assertThat(item.getString("cause")).isEqualTo("no_refund_api");
        });
    JsonObject evidence = flows.gw.get(purchase.path("/evidence"), purchase.token()).json();
    assertThat(evidence.getJsonObject("bundle").getJsonArray("refunds_owed")).hasSize(1);
    assertThat(site.trade(second.outTradeNo()).refundedCents()).isZero();
    assertThat(flows.gw.query("SELECT count(*) FROM refunds WHERE order_id = $1", purchase.orderId())
        .get(0).getLong(0)).isZero();
  }

  @Test
  void neitherTheKeyNorAnySignatureReachesALog() throws Exception {
    List<String> lines;
    try (CapturedLogs logs = CapturedLogs.start()) {
      site.faults(EpayFaults.NONE.withRepeatNotices(true));
      Purchases.Purchase purchase = purchases.checkout(shop, 1);
      Started first = startAtSite(purchase);
      Started second = startAtSite(purchase);
      post(first.payUrl());
      purchases.awaitState(purchase, "ready");
      site.faults(EpayFaults.NONE.withRefundApi(EpayFaults.RefundApi.FAILING));
      post(second.payUrl());
      await(() -> !flows.gw.query("SELECT 1 FROM refunds_owed WHERE provider_txn_id = $1", second.outTradeNo())
          .isEmpty(), "the refund owed");
      site.faults(EpayFaults.NONE.withWrongSignature(true));
      Purchases.Purchase forged = purchases.checkout(shop, 1);
      post(startAtSite(forged).payUrl());
      await(() -> site.sentNotices().size() >= 4, "the notices");
      lines = logs.messages();
    }
    assertThat(lines).isNotEmpty();
    List<String> signs = site.sentNotices().stream().map(url -> param(url, "sign")).toList();
    assertThat(signs).isNotEmpty();
    for (String line : lines) {
      assertThat(line).doesNotContain(KEY);
      for (String sign : signs) {
        assertThat(line).doesNotContain(sign);
      }
    }
  }

  // ---- the buyer at the site

  record Started(String outTradeNo, String payUrl) {}

  /** Starts the payment through the gateway and follows it to the site's pay page; answers the site's pay URL. */
  private static Started startAtSite(Purchases.Purchase purchase) throws Exception {
    TestGateway.Response started = flows.gw.post("/v1/payments/start", null, new JsonObject()
        .put("order_id", purchase.orderId()).put("order_token", purchase.token())
        .put("return_url", "/checkout/" + purchase.sessionId() + "?returned=1").encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(201);
    assertThat(started.json().getString("provider")).isEqualTo("epay");
    HttpResponse<String> submit = get(started.json().getString("pay_url"));
    assertThat(submit.statusCode()).as(submit.body()).isEqualTo(302);
    String payPath = submit.headers().firstValue("Location").orElseThrow();
    return new Started(started.json().getString("payment_id"), site.baseUrl() + payPath);
  }

  /** Starts and pays; answers the out_trade_no. */
  private static String payAtSite(Purchases.Purchase purchase) throws Exception {
    Started started = startAtSite(purchase);
    HttpResponse<String> paid = post(started.payUrl());
    assertThat(paid.statusCode()).isEqualTo(302);
    assertThat(paid.headers().firstValue("Location").orElseThrow())
        .contains(":" + flows.gw.gateway().port() + "/checkout/" + purchase.sessionId() + "?returned=1&");
    return started.outTradeNo();
  }

  private static long notices(String outTradeNo) {
    List<io.vertx.sqlclient.Row> rows = flows.gw.query("SELECT notices FROM payments WHERE provider_txn_id = $1",
        outTradeNo);
    return rows.isEmpty() ? 0 : rows.get(0).getInteger("notices");
  }

  private static Map<String, String> signed(Map<String, String> params, String key) {
    Map<String, String> out = new LinkedHashMap<>(params);
    out.put("sign", EpaySigning.md5(params, key));
    out.put("sign_type", "MD5");
    return out;
  }

  private static String withQuery(String url, Map<String, String> params) {
    StringBuilder out = new StringBuilder(url).append('?');
    params.forEach((k, v) -> out.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
    return out.substring(0, out.length() - 1);
  }

  private static String param(String url, String name) {
    for (String pair : URI.create(url).getRawQuery().split("&")) {
      if (pair.startsWith(name + "=")) {
        return URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError(url + " has no " + name);
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Purchases.STATE_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Flows.pause(50);
    }
    throw new AssertionError("waited in vain for " + what);
  }
}
