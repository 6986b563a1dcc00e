package io.keyhold.gateway.adapters;

import io.keyhold.escrow.Money;
import io.keyhold.gateway.store.Ids;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Currency;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The {@code epay} provider: a 易支付-compatible payment site. The buyer is sent to the site's {@code submit.php}
 * with the signed order ({@code pid, type, out_trade_no, notify_url, return_url, name, money, param}); the site
 * calls {@code notify_url} (usually a GET) with {@code trade_status=TRADE_SUCCESS}, which is answered
 * {@code success} once recorded; {@code api.php?act=order} answers about a payment whose notice never came, and
 * {@code api.php?act=refund} refunds where the site has it (else the refund is owed by the operator).
 *
 * <p>Signatures: MD5 of the sorted parameters followed by the merchant key, or SHA256withRSA where the site
 * offers it (the gateway signs with the merchant's private key, checks the site's notices with the site's
 * public key). MD5 with a shared key is weak: anyone who learns the key (it travels in every query and refund
 * call, and the site's staff know it) can forge notices; prefer RSA.
 *
 * <p>Amounts: the protocol's {@code money} is decimal yuan; it is read exactly (BigDecimal, never a double) into
 * minor units of CNY, the only currency these sites take. The key, the private key and every {@code sign} stay
 * out of logs and messages.
 */
public final class EpayProvider implements PaymentProvider {
  public static final String ID = "epay";
  public static final String CURRENCY = "CNY";
  /** A notice is a short form; anything longer is not one. */
  public static final int NOTICE_BYTES_MAX = 4096;
  /** How long a query or refund call to the site may take. */
  public static final long API_TIMEOUT_MS = 10_000;
  /** The site's answer to a query or refund is a short JSON object. */
  public static final int ANSWER_BYTES_MAX = 16 * 1024;
  /** What the buyer sees at the site: 易支付 sites cut longer names. */
  public static final int NAME_LENGTH_MAX = 60;
  /** The success answer the protocol wants. */
  public static final String SUCCESS = "success";

  private static final Pattern MONEY = Pattern.compile("(0|[1-9][0-9]{0,15})(\\.[0-9]{1,2})?");
  private static final DateTimeFormatter SITE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private final Settings settings;
  private final WebClient client;
  private final Clock clock;

  EpayProvider(Settings settings, WebClient client, Clock clock) {
    this.settings = settings;
    this.client = client;
    this.clock = clock;
  }

  /** Builds the provider from its configuration ({@link Settings#from}); the message of a bad one names the field. */
  public static EpayProvider create(Vertx vertx, Clock clock, JsonObject config) {
    Settings settings = Settings.from(config);
    WebClient client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)
        .setConnectTimeout((int) API_TIMEOUT_MS));
    return new EpayProvider(settings, client, clock);
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public boolean startsPayments() {
    return true;
  }

  @Override
  public String noticeAnswer() {
    return SUCCESS;
  }

  // ---- the buyer's redirect

  @Override
  public Future<String> start(PaymentStart payment) {
    if (!CURRENCY.equals(payment.amount().currency().getCurrencyCode())) {
      return Future.failedFuture(new IllegalArgumentException("易支付 sites take CNY only, not "
          + payment.amount().currency().getCurrencyCode()));
    }
    Map<String, String> params = new LinkedHashMap<>();
    params.put("pid", settings.pid());
    params.put("type", settings.payType());
    params.put("out_trade_no", payment.transactionId());
    params.put("notify_url", payment.notifyUrl());
    if (payment.returnUrl() != null) {
      params.put("return_url", payment.returnUrl());
    }
    String name = payment.description();
    params.put("name", name.length() > NAME_LENGTH_MAX ? name.substring(0, NAME_LENGTH_MAX) : name);
    params.put("money", money(payment.amount()));
    params.put("param", payment.orderId());
    return Future.succeededFuture(settings.apiBaseUrl() + "/submit.php?" + query(sign(params)));
  }

  // ---- notices

  @Override
  public Future<PaymentNotice> readNotice(MultiMap headers, Buffer body) {
    if (body == null || body.length() == 0 || body.length() > NOTICE_BYTES_MAX) {
      return rejected(NoticeRejectedException.REASON_TOO_LARGE, "the notice is missing or too large");
    }
    Map<String, String> params;
    try {
      params = parseForm(body.toString(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return rejected(NoticeRejectedException.REASON_UNREADABLE, "the notice cannot be read");
    }
    String sign = params.get("sign");
    if (sign == null || sign.isEmpty()) {
      return rejected("missing", "the notice has no signature");
    }
    if (!verified(params, sign)) {
      return rejected("mismatch", "the notice signature does not verify");
    }
    if (!settings.pid().equals(params.get("pid"))) {
      return rejected("pid_mismatch", "the notice is for another merchant id");
    }
    try {
      return Future.succeededFuture(notice(params, params.get("param")));
    } catch (IllegalArgumentException e) {
      return rejected(NoticeRejectedException.REASON_UNREADABLE, "the notice cannot be read: " + e.getMessage());
    }
  }

  /** The notice {@code params} (signature checked) tell; {@code orderId} the order they name. */
  private PaymentNotice notice(Map<String, String> params, String orderId) {
    String outTradeNo = params.get("out_trade_no");
    if (outTradeNo == null || orderId == null) {
      throw new IllegalArgumentException("out_trade_no or param is missing");
    }
    boolean paid = "TRADE_SUCCESS".equals(params.get("trade_status")) || "1".equals(params.get("status"));
    Instant paidAt = paidAt(params.get("endtime"));
    return new PaymentNotice(outTradeNo, orderId, parseMoney(params.get("money")),
        paid ? PaymentNotice.Status.SUCCEEDED : PaymentNotice.Status.PENDING, paidAt);
  }

  private Instant paidAt(String endtime) {
    if (endtime == null || endtime.isEmpty()) {
      return null;
    }
    try {
      return LocalDateTime.parse(endtime, SITE_TIME).atZone(settings.timeZone()).toInstant();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Future<PaymentNotice> rejected(String reason, String message) {
    return Future.failedFuture(new NoticeRejectedException(reason, message));
  }

  // ---- the query API

  @Override
  public Future<PaymentNotice> query(PaymentStart payment) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("pid", settings.pid());
    params.put("out_trade_no", payment.transactionId());
    return api("order", params).map(answer -> {
      if (answer == null || answer.getInteger("code", 0) != 1 || !payment.transactionId()
          .equals(answer.getString("out_trade_no"))) {
        return null;
      }
      Map<String, String> fields = new TreeMap<>();
      answer.forEach(e -> fields.put(e.getKey(), e.getValue() == null ? null : String.valueOf(e.getValue())));
      PaymentNotice notice = notice(fields, payment.orderId());
      return notice.status() == PaymentNotice.Status.SUCCEEDED ? notice : null;
    });
  }

  // ---- refunds

  @Override
  public Future<String> refund(RefundRequest request) {
    if (!settings.refundApi()) {
      return Future.failedFuture(new RefundUnavailableException(RefundUnavailableException.NO_REFUND_API,
          "the 易支付 site is configured without a refund API"));
    }
    String refundNo = Ids.derived("rf", sha256(request.idempotencyKey()));
    Map<String, String> params = new LinkedHashMap<>();
    params.put("pid", settings.pid());
    params.put("out_trade_no", request.transactionId());
    params.put("money", money(request.amount()));
    // Sites that know out_refund_no refund once per number; older ones ignore it (docs/operations.md).
    params.put("out_refund_no", refundNo);
    return api("refund", params).compose(answer -> {
      if (answer == null) {
        return Future.failedFuture(new RefundUnavailableException(RefundUnavailableException.NO_REFUND_API,
            "the 易支付 site has no refund API (it answered 404)"));
      }
      if (answer.getInteger("code", 0) != 1) {
        return Future.failedFuture(new RefundUnavailableException(RefundUnavailableException.REFUSED,
            "the 易支付 site refused the refund (code " + answer.getValue("code") + ")"));
      }
      return Future.succeededFuture(refundNo);
    });
  }

  /**
   * Calls {@code api.php?act=<act>} with {@code params} as a POST form (the key in the body, not the URL): answers
   * the JSON answer, or null when the site answers 404; fails when the site could not be reached or answered
   * something else (the caller asks again later).
   */
  private Future<JsonObject> api(String act, Map<String, String> params) {
    Map<String, String> form = new LinkedHashMap<>(params);
    form.put("act", act);
    if (settings.rsa()) {
      form.put("timestamp", String.valueOf(clock.instant().getEpochSecond()));
      form = sign(form);
    } else {
      form.put("key", settings.key());
    }
    MultiMap body = MultiMap.caseInsensitiveMultiMap();
    form.forEach(body::add);
    return client.postAbs(settings.apiBaseUrl() + "/api.php?act=" + act).timeout(API_TIMEOUT_MS).sendForm(body)
        .compose(response -> answer(act, response));
  }

  private static Future<JsonObject> answer(String act, HttpResponse<Buffer> response) {
    if (response.statusCode() == 404) {
      return Future.succeededFuture(null);
    }
    Buffer body = response.body();
    if (response.statusCode() != 200 || body == null || body.length() > ANSWER_BYTES_MAX) {
      return Future.failedFuture(new IllegalStateException("the 易支付 site answered " + act + " with HTTP "
          + response.statusCode()));
    }
    try {
      return Future.succeededFuture(body.toJsonObject());
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalStateException("the 易支付 site's " + act + " answer is not JSON"));
    }
  }

  @Override
  public Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  // ---- the protocol

  /** {@code params} with {@code sign} and {@code sign_type} added. */
  private Map<String, String> sign(Map<String, String> params) {
    Map<String, String> signed = new LinkedHashMap<>(params);
    String content = content(params);
    if (settings.rsa()) {
      try {
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(settings.merchantPrivateKey());
        signature.update(content.getBytes(StandardCharsets.UTF_8));
        signed.put("sign", Base64.getEncoder().encodeToString(signature.sign()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot sign with the merchant's RSA key", e);
      }
      signed.put("sign_type", "RSA");
    } else {
      signed.put("sign", md5(content + settings.key()));
      signed.put("sign_type", "MD5");
    }
    return signed;
  }

  private boolean verified(Map<String, String> params, String sign) {
    String content = content(params);
    if (settings.rsa()) {
      if (!"RSA".equals(params.get("sign_type"))) {
        return false;
      }
      try {
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initVerify(settings.sitePublicKey());
        signature.update(content.getBytes(StandardCharsets.UTF_8));
        return signature.verify(Base64.getDecoder().decode(sign));
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        return false;
      }
    }
    return MessageDigest.isEqual(md5(content + settings.key()).getBytes(StandardCharsets.US_ASCII),
        sign.toLowerCase().getBytes(StandardCharsets.US_ASCII));
  }

  /** The signed string: parameters but {@code sign}, {@code sign_type} and empty ones, sorted, {@code a=1&b=2}. */
  static String content(Map<String, String> params) {
    List<String> pairs = new ArrayList<>();
    new TreeMap<>(params).forEach((name, value) -> {
      if (!name.equals("sign") && !name.equals("sign_type") && value != null && !value.isEmpty()) {
        pairs.add(name + "=" + value);
      }
    });
    return String.join("&", pairs);
  }

  private static String md5(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("MD5 is missing from this JDK", e);
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** Decimal yuan, exactly: {@code 1230} minor units of CNY is {@code "12.30"}. */
  static String money(Money amount) {
    return BigDecimal.valueOf(amount.minorUnits(), amount.currency().getDefaultFractionDigits()).toPlainString();
  }

  /**
   * The protocol's {@code money} in minor units of CNY, exactly: at most 2 decimals, no sign, no exponent, no
   * spaces; anything else is refused (never rounded, never read through a double).
   */
  public static Money parseMoney(String money) {
    if (money == null || !MONEY.matcher(money).matches()) {
      throw new IllegalArgumentException("money is not a decimal amount with at most 2 decimals");
    }
    int digits = Currency.getInstance(CURRENCY).getDefaultFractionDigits();
    long minor = new BigDecimal(money).movePointRight(digits).longValueExact();
    if (minor <= 0) {
      throw new IllegalArgumentException("money must be greater than 0");
    }
    return Money.of(minor, CURRENCY);
  }

  private static String query(Map<String, String> params) {
    List<String> pairs = new ArrayList<>();
    params.forEach((name, value) -> pairs.add(URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(value, StandardCharsets.UTF_8)));
    return String.join("&", pairs);
  }

  /** An {@code application/x-www-form-urlencoded} string; a name given twice is not a notice. */
  static Map<String, String> parseForm(String form) {
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : form.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (params.put(name, value) != null) {
        throw new IllegalArgumentException("parameter given twice");
      }
    }
    return params;
  }

  @Override
  public String toString() {
    return "EpayProvider[" + settings + "]";
  }

  /**
   * The operator's configuration of the {@code epay} provider ({@code payments.providers.epay}).
   *
   * @param apiBaseUrl the site's base URL ({@code https}, or {@code http} on a loopback address for tests)
   * @param pid the merchant id at the site
   * @param key the MD5 merchant key (a secret)
   * @param merchantPrivateKey the merchant's RSA key (PKCS#8), or null for MD5 signing
   * @param sitePublicKey the site's RSA public key (X.509), with {@code merchantPrivateKey}
   * @param payType the {@code type} sent ({@code alipay}, {@code wxpay}, ...)
   * @param refundApi whether the site has {@code api.php?act=refund}
   * @param timeZone the zone of the site's times ({@code endtime})
   */
  public record Settings(String apiBaseUrl, String pid, String key, PrivateKey merchantPrivateKey,
      PublicKey sitePublicKey, String payType, boolean refundApi, ZoneId timeZone) {
    public static final Set<String> FIELDS = Set.of("api_base_url", "pid", "key", "sign_type",
        "merchant_private_key", "site_public_key", "pay_type", "refund_api", "time_zone");
    public static final int KEY_LENGTH_MIN = 16;
    public static final int KEY_LENGTH_MAX = 256;
    private static final Pattern PID = Pattern.compile("[0-9A-Za-z]{1,32}");
    private static final Pattern PAY_TYPE = Pattern.compile("[a-z0-9_]{1,16}");
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]");

    public boolean rsa() {
      return merchantPrivateKey != null;
    }

    /** Reads and checks the configuration; a message names the field, never a value of a secret. */
    public static Settings from(JsonObject config) {
      for (String name : config.fieldNames()) {
        if (!FIELDS.contains(name)) {
          throw new IllegalArgumentException("unknown epay setting '" + name + "'; known: " + FIELDS);
        }
      }
      String base = string(config, "api_base_url");
      URI uri;
      try {
        uri = URI.create(base);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("epay api_base_url is not a URL");
      }
      boolean https = "https".equals(uri.getScheme());
      if (uri.getHost() == null || !(https || "http".equals(uri.getScheme()) && LOOPBACK.contains(uri.getHost()))
          || uri.getQuery() != null || uri.getUserInfo() != null) {
        throw new IllegalArgumentException("epay api_base_url must be an https URL without query or user"
            + " (http only on a loopback address), but was " + base);
      }
      String pid = string(config, "pid");
      if (!PID.matcher(pid).matches()) {
        throw new IllegalArgumentException("epay pid must be 1 to 32 letters or digits");
      }
      String signType = config.getString("sign_type", "MD5");
      PrivateKey privateKey = null;
      PublicKey publicKey = null;
      String key = config.getString("key");
      if ("RSA".equals(signType)) {
        privateKey = privateKey(string(config, "merchant_private_key"));
        publicKey = publicKey(string(config, "site_public_key"));
      } else if (!"MD5".equals(signType)) {
        throw new IllegalArgumentException("epay sign_type must be MD5 or RSA, but was " + signType);
      } else if (key == null || key.length() < KEY_LENGTH_MIN || key.length() > KEY_LENGTH_MAX) {
        throw new IllegalArgumentException("epay key must be " + KEY_LENGTH_MIN + " to " + KEY_LENGTH_MAX
            + " characters (set it in KEYHOLD_EPAY_KEY)");
      }
      String payType = config.getString("pay_type", "alipay");
      if (!PAY_TYPE.matcher(payType).matches()) {
        throw new IllegalArgumentException("epay pay_type must match " + PAY_TYPE + ", but was " + payType);
      }
      ZoneId zone;
      try {
        zone = ZoneId.of(config.getString("time_zone", "Asia/Shanghai"));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("epay time_zone is not a time zone id");
      }
      Object refundApi = config.getValue("refund_api", true);
      if (!(refundApi instanceof Boolean)) {
        throw new IllegalArgumentException("epay refund_api must be true or false");
      }
      String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
      return new Settings(trimmed, pid, key, privateKey, publicKey, payType, (Boolean) refundApi, zone);
    }

    private static String string(JsonObject config, String name) {
      Object value = config.getValue(name);
      if (!(value instanceof String text) || text.isBlank()) {
        throw new IllegalArgumentException("epay " + name + " is required");
      }
      return text;
    }

    private static PrivateKey privateKey(String base64) {
      try {
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(decode(base64)));
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        throw new IllegalArgumentException("epay merchant_private_key is not a Base64 PKCS#8 RSA key");
      }
    }

    private static PublicKey publicKey(String base64) {
      try {
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(decode(base64)));
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        throw new IllegalArgumentException("epay site_public_key is not a Base64 X.509 RSA public key");
      }
    }

    private static byte[] decode(String base64) {
      return Base64.getMimeDecoder().decode(base64.replaceAll("-----[A-Z ]+-----", ""));
    }

    @Override
    public String toString() {
      return "apiBaseUrl=" + apiBaseUrl + ", pid=" + pid + ", signType=" + (rsa() ? "RSA" : "MD5") + ", payType="
          + payType + ", refundApi=" + refundApi;
    }
  }
}
