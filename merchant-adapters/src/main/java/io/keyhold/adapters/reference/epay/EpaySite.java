package io.keyhold.adapters.reference.epay;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * A stand-in 易支付 (epay) payment site, written from the protocol, for tests and the simulator: the page
 * jump {@code /submit.php} (GET or POST form: {@code pid, type, out_trade_no, notify_url, return_url, name,
 * money, sign, sign_type}), the buyer's pay step ({@code POST /pay/<trade_no>}, which answers 302 to the
 * signed {@code return_url}), the asynchronous notice (a GET of {@code notify_url} with the signed
 * parameters and {@code trade_status=TRADE_SUCCESS}, sent again until the answer is the plain text
 * {@code success}), the query API ({@code /api.php?act=order}) and the refund API ({@code /api.php?act=refund}).
 * Signatures are MD5 with the merchant key, or RSA (SHA256withRSA: the merchant signs with its key, the site
 * with its own) when started with keys. Faults are switched at run time ({@link EpayFaults}).
 *
 * <p>One pid, CNY only, amounts as the protocol's decimal yuan string with at most 2 decimals.
 */
public final class EpaySite {
  /** A notice is sent again until answered {@code success}, at most this many times. */
  public static final int NOTICE_ATTEMPTS_MAX = 5;
  /** Pause before the first retry of a notice; doubles each time. */
  public static final long NOTICE_RETRY_MS = 200;
  /** With reordering on, each copy of a notice waits up to this much. */
  public static final long REORDER_SPREAD_MS = 400;
  /** Copies of a notice sent with repeats on (every notice is repeated at least once). */
  public static final int REPEAT_COPIES_MAX = 3;
  public static final long NOTICE_TIMEOUT_MS = 5_000;
  /** Trades kept by one site; a test or a simulator run stays far below it. */
  public static final int TRADES_MAX = 1_000_000;
  /** The site's time zone, in which {@code addtime} and {@code endtime} are written. */
  public static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZONE);
  private static final Pattern MONEY = Pattern.compile("(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?");
  private static final Pattern OUT_TRADE_NO = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final Vertx vertx;
  private final Options options;
  private final WebClient client;
  private final Random random;
  private final AtomicReference<EpayFaults> faults = new AtomicReference<>(EpayFaults.NONE);
  private final Map<String, Trade> byOutTradeNo = new ConcurrentHashMap<>();
  private final Map<String, Trade> byTradeNo = new ConcurrentHashMap<>();
  private final List<String> sentNotices = new CopyOnWriteArrayList<>();
  private final Map<String, Long> refundsByRequest = new ConcurrentHashMap<>();
  private final AtomicLong tradeSeq = new AtomicLong();
  private HttpServer server;

  /**
   * How the site is started.
   *
   * @param host the address to listen on
   * @param port 0 for a free one
   * @param pid the one merchant's id
   * @param key the MD5 merchant key
   * @param sitePrivateKey the site's RSA key (signs notices and answers in RSA mode), or null for MD5 only
   * @param merchantPublicKey the merchant's RSA public key (verifies its requests in RSA mode), or null
   * @param clock the site's clock (its {@code endtime})
   * @param seed the random generator's seed (repeat copies and delays)
   */
  public record Options(String host, int port, String pid, String key, PrivateKey sitePrivateKey,
      PublicKey merchantPublicKey, Clock clock, long seed) {
    public Options {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(pid, "pid");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(clock, "clock");
    }

    /** An MD5-only site on {@code 127.0.0.1}, a free port. */
    public static Options md5(String pid, String key) {
      return new Options("127.0.0.1", 0, pid, key, null, null, Clock.systemUTC(), 1);
    }

    public Options withRsa(PrivateKey site, PublicKey merchant) {
      return new Options(host, port, pid, key, site, merchant, clock, seed);
    }
  }

  /** One payment at the site. */
  public static final class Trade {
    final String tradeNo;
    final String outTradeNo;
    final Map<String, String> request;
    final long cents;
    volatile boolean paid;
    volatile String endtime;
    volatile long refundedCents;
    final String addtime;

    Trade(String tradeNo, String outTradeNo, Map<String, String> request, long cents, String addtime) {
      this.tradeNo = tradeNo;
      this.outTradeNo = outTradeNo;
      this.request = request;
      this.cents = cents;
      this.addtime = addtime;
    }

    public String tradeNo() {
      return tradeNo;
    }

    public String outTradeNo() {
      return outTradeNo;
    }

    public boolean paid() {
      return paid;
    }

    public long cents() {
      return cents;
    }

    public long refundedCents() {
      return refundedCents;
    }
  }

  private EpaySite(Vertx vertx, Options options) {
    this.vertx = vertx;
    this.options = options;
    this.random = new Random(options.seed());
    this.client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false).setConnectTimeout(5_000));
  }

  public static Future<EpaySite> start(Vertx vertx, Options options) {
    EpaySite site = new EpaySite(vertx, options);
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(64 * 1024));
    router.route("/submit.php").handler(site::submit);
    router.post("/pay/:trade_no").handler(site::payRoute);
    router.get("/pay/:trade_no").handler(site::payPage);
    router.route("/api.php").handler(site::api);
    return vertx.createHttpServer().requestHandler(router).listen(options.port(), options.host()).map(server -> {
      site.server = server;
      return site;
    });
  }

  public String baseUrl() {
    return "http://" + options.host() + ":" + server.actualPort();
  }

  public EpayFaults faults() {
    return faults.get();
  }

  public void faults(EpayFaults value) {
    faults.set(Objects.requireNonNull(value, "faults"));
  }

  /** The trade for {@code outTradeNo}, or null. */
  public Trade trade(String outTradeNo) {
    return byOutTradeNo.get(outTradeNo);
  }

  /** Every notice URL sent so far, query and signature included (to replay one). */
  public List<String> sentNotices() {
    return List.copyOf(sentNotices);
  }

  public Future<Void> close() {
    client.close();
    return server == null ? Future.succeededFuture() : server.close();
  }

  // ---- the buyer's side

  private void submit(RoutingContext ctx) {
    Map<String, String> params = params(ctx);
    String refusal = refusal(params);
    if (refusal != null) {
      ctx.response().setStatusCode(400).putHeader("Content-Type", "text/plain; charset=utf-8").end(refusal);
      return;
    }
    if (byOutTradeNo.size() >= TRADES_MAX) {
      ctx.response().setStatusCode(503).end("too many trades");
      return;
    }
    String outTradeNo = params.get("out_trade_no");
    Trade trade = byOutTradeNo.computeIfAbsent(outTradeNo, no -> {
      String tradeNo = TIME.format(options.clock().instant()).replaceAll("[^0-9]", "")
          + String.format("%08d", tradeSeq.incrementAndGet());
      Trade fresh = new Trade(tradeNo, no, Map.copyOf(params), cents(params.get("money")),
          TIME.format(options.clock().instant()));
      byTradeNo.put(tradeNo, fresh);
      return fresh;
    });
    if (trade.cents != cents(params.get("money"))) {
      ctx.response().setStatusCode(400).end("out_trade_no already used for another amount");
      return;
    }
    ctx.response().setStatusCode(302).putHeader("Location", "/pay/" + trade.tradeNo).end();
  }

  /** Why a submitted payment is refused, or null. */
  private String refusal(Map<String, String> params) {
    for (String name : List.of("pid", "type", "out_trade_no", "notify_url", "name", "money", "sign")) {
      if (params.get(name) == null || params.get(name).isEmpty()) {
        return "missing " + name;
      }
    }
    if (!options.pid().equals(params.get("pid"))) {
      return "unknown pid";
    }
    if (!MONEY.matcher(params.get("money")).matches() || cents(params.get("money")) <= 0) {
      return "bad money";
    }
    if (!OUT_TRADE_NO.matcher(params.get("out_trade_no")).matches()) {
      return "bad out_trade_no";
    }
    return verified(params) ? null : "bad sign";
  }

  private boolean verified(Map<String, String> params) {
    if ("RSA".equals(params.get("sign_type"))) {
      return options.merchantPublicKey() != null
          && EpaySigning.verifyRsa(params, params.get("sign"), options.merchantPublicKey());
    }
    return EpaySigning.same(EpaySigning.md5(params, options.key()), params.get("sign"));
  }

  private void payPage(RoutingContext ctx) {
    Trade trade = byTradeNo.get(ctx.pathParam("trade_no"));
    if (trade == null) {
      ctx.response().setStatusCode(404).end("no such trade");
      return;
    }
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end("<!doctype html><meta charset=utf-8>"
        + "<title>易支付 stand-in</title><h1>易支付 stand-in</h1><p>Trade " + trade.tradeNo + ", ¥"
        + yuan(trade.cents) + "</p><form method=post action=\"/pay/" + trade.tradeNo + "\">"
        + "<button>Pay</button></form>");
  }

  private void payRoute(RoutingContext ctx) {
    String location = pay(ctx.pathParam("trade_no"));
    if (location == null) {
      ctx.response().setStatusCode(404).end("no such trade");
      return;
    }
    ctx.response().setStatusCode(302).putHeader("Location", location).end();
  }

  /**
   * The buyer pays the trade: it becomes paid, its notices go out (per the faults) and the answer is where
   * the buyer is sent back to (the signed {@code return_url}), or null for an unknown trade. Paying again
   * changes nothing and sends no second notice.
   */
  public String pay(String tradeNo) {
    Trade trade = byTradeNo.get(tradeNo);
    if (trade == null) {
      return null;
    }
    boolean first;
    synchronized (trade) {
      first = !trade.paid;
      if (first) {
        trade.paid = true;
        trade.endtime = TIME.format(options.clock().instant());
      }
    }
    Map<String, String> notice = signed(noticeParams(trade), trade.request.get("sign_type"));
    if (first) {
      sendNotices(trade, notice);
    }
    String returnUrl = trade.request.get("return_url");
    return returnUrl == null || returnUrl.isEmpty() ? "/pay/" + tradeNo : withQuery(returnUrl, notice);
  }

  private Map<String, String> noticeParams(Trade trade) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("pid", options.pid());
    params.put("trade_no", trade.tradeNo);
    params.put("out_trade_no", trade.outTradeNo);
    params.put("type", trade.request.get("type"));
    params.put("name", trade.request.get("name"));
    params.put("money", trade.request.get("money"));
    params.put("trade_status", "TRADE_SUCCESS");
    if (trade.request.get("param") != null) {
      params.put("param", trade.request.get("param"));
    }
    if ("RSA".equals(trade.request.get("sign_type"))) {
      params.put("timestamp", String.valueOf(options.clock().instant().getEpochSecond()));
    }
    return params;
  }

  private Map<String, String> signed(Map<String, String> params, String signType) {
    Map<String, String> out = new LinkedHashMap<>(params);
    if ("RSA".equals(signType) && options.sitePrivateKey() != null) {
      out.put("sign", EpaySigning.rsa(params, options.sitePrivateKey()));
      out.put("sign_type", "RSA");
    } else {
      out.put("sign", EpaySigning.md5(params, options.key()));
      out.put("sign_type", "MD5");
    }
    return out;
  }

  private void sendNotices(Trade trade, Map<String, String> notice) {
    EpayFaults now = faults.get();
    if (now.dropNotices()) {
      return;
    }
    Map<String, String> sent = new LinkedHashMap<>(notice);
    if (now.wrongSignature()) {
      String sign = sent.get("sign");
      sent.put("sign", (sign.charAt(0) == 'a' ? "b" : "a") + sign.substring(1));
    }
    String url = withQuery(trade.request.get("notify_url"), sent);
    int copies;
    synchronized (random) {
      copies = now.repeatNotices() ? 2 + random.nextInt(REPEAT_COPIES_MAX - 1) : 1;
    }
    for (int copy = 0; copy < copies; copy++) {
      long delayMs;
      synchronized (random) {
        delayMs = 1 + (now.reorderNotices() ? random.nextLong(REORDER_SPREAD_MS) : 0);
      }
      vertx.setTimer(delayMs, id -> sendNotice(url, 1));
    }
  }

  private void sendNotice(String url, int attempt) {
    sentNotices.add(url);
    client.getAbs(url).timeout(NOTICE_TIMEOUT_MS).send()
        .map(response -> response.statusCode() == 200 && "success".equals(response.bodyAsString()))
        .otherwise(false)
        .onSuccess(done -> {
          if (!done && attempt < NOTICE_ATTEMPTS_MAX) {
            vertx.setTimer(NOTICE_RETRY_MS << (attempt - 1), id -> sendNotice(url, attempt + 1));
          }
        });
  }

  // ---- the merchant's API

  private void api(RoutingContext ctx) {
    Map<String, String> params = params(ctx);
    String act = params.get("act");
    if ("refund".equals(act) && faults.get().refundApi() == EpayFaults.RefundApi.ABSENT) {
      ctx.response().setStatusCode(404).end("Not Found");
      return;
    }
    if (!options.pid().equals(params.get("pid")) || !authenticated(params)) {
      answer(ctx, new JsonObject().put("code", -1).put("msg", "KEY校验失败"));
      return;
    }
    Trade trade = params.get("out_trade_no") != null ? byOutTradeNo.get(params.get("out_trade_no"))
        : params.get("trade_no") == null ? null : byTradeNo.get(params.get("trade_no"));
    if ("order".equals(act)) {
      answer(ctx, trade == null ? new JsonObject().put("code", -1).put("msg", "订单号不存在") : new JsonObject()
          .put("code", 1).put("msg", "查询订单号成功！").put("trade_no", trade.tradeNo)
          .put("out_trade_no", trade.outTradeNo).put("type", trade.request.get("type"))
          .put("pid", options.pid()).put("addtime", trade.addtime).put("endtime", trade.endtime)
          .put("name", trade.request.get("name")).put("money", trade.request.get("money"))
          .put("param", trade.request.get("param")).put("status", trade.paid ? 1 : 0));
    } else if ("refund".equals(act)) {
      answer(ctx, refund(trade, params));
    } else {
      answer(ctx, new JsonObject().put("code", -1).put("msg", "No Act"));
    }
  }

  private JsonObject refund(Trade trade, Map<String, String> params) {
    if (faults.get().refundApi() == EpayFaults.RefundApi.FAILING) {
      return new JsonObject().put("code", -1).put("msg", "退款功能已关闭");
    }
    String money = params.get("money");
    if (trade == null || !trade.paid || money == null || !MONEY.matcher(money).matches()) {
      return new JsonObject().put("code", -1).put("msg", "订单不存在或未支付");
    }
    long cents = cents(money);
    String requestNo = params.get("out_refund_no");
    synchronized (trade) {
      // A request number seen before answers as it did: a retried refund is not paid twice.
      if (requestNo != null && refundsByRequest.containsKey(requestNo)) {
        return new JsonObject().put("code", 1).put("msg", "退款成功");
      }
      if (cents <= 0 || trade.refundedCents + cents > trade.cents) {
        return new JsonObject().put("code", -1).put("msg", "退款金额超过订单金额");
      }
      trade.refundedCents += cents;
      if (requestNo != null) {
        refundsByRequest.put(requestNo, cents);
      }
    }
    return new JsonObject().put("code", 1).put("msg", "退款成功");
  }

  private boolean authenticated(Map<String, String> params) {
    if ("RSA".equals(params.get("sign_type"))) {
      return options.merchantPublicKey() != null && params.get("sign") != null
          && EpaySigning.verifyRsa(params, params.get("sign"), options.merchantPublicKey());
    }
    return EpaySigning.same(options.key(), params.get("key"));
  }

  private void answer(RoutingContext ctx, JsonObject json) {
    ctx.response().putHeader("Content-Type", "application/json; charset=utf-8").end(json.encode());
  }

  // ---- helpers

  private static Map<String, String> params(RoutingContext ctx) {
    Map<String, String> params = new LinkedHashMap<>();
    MultiMap query = ctx.queryParams(StandardCharsets.UTF_8);
    query.forEach(e -> params.putIfAbsent(e.getKey(), e.getValue()));
    ctx.request().formAttributes().forEach(e -> params.putIfAbsent(e.getKey(), e.getValue()));
    return params;
  }

  static long cents(String money) {
    return new BigDecimal(money).movePointRight(2).longValueExact();
  }

  static String yuan(long cents) {
    return BigDecimal.valueOf(cents, 2).toPlainString();
  }

  static String withQuery(String url, Map<String, String> params) {
    List<String> pairs = new ArrayList<>();
    params.forEach((k, v) -> pairs.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return url + (url.contains("?") ? "&" : "?") + String.join("&", pairs);
  }
}
