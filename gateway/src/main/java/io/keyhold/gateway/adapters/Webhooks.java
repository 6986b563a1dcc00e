package io.keyhold.gateway.adapters;

import com.github.benmanes.caffeine.cache.Cache;
import io.keyhold.adapters.outbound.OutboundRules;
import io.keyhold.adapters.signature.Signatures;
import io.keyhold.escrow.EvidenceType;
import io.keyhold.gateway.store.MerchantService;
import io.keyhold.gateway.store.OrderStore;
import io.keyhold.gateway.store.OrderViews;
import io.keyhold.gateway.store.ShortLivedCache;
import io.keyhold.gateway.store.StoredOrder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Signed {@code order.*} webhooks to a merchant's {@code webhook_url}: body
 * {@code {id, type, created_at, order: <merchant view>}}, signed exactly like the merchant protocol
 * (PROTOCOL.md section 3: {@code Keyhold-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex>}) with the
 * merchant's webhook secret. {@code id} is the effect's idempotency key, stable across retries, so a
 * shop drops repeats by it. A merchant without a webhook URL gets nothing; the URL is read again at most every
 * {@link ShortLivedCache#REUSE_MAX}. The URL is sent to only under the {@link OutboundRules}, checked again on
 * the address of every connection.
 */
public final class Webhooks {
  public static final Duration TIMEOUT = Duration.ofSeconds(5);
  public static final String EVENT_ID_HEADER = "Keyhold-Event-Id";

  /**
   * Merchants whose webhook URL (or its absence) is kept, at most, each for {@link ShortLivedCache#REUSE_MAX}:
   * most shops have none, and every order change would otherwise read it.
   */
  public static final int URLS_CACHED_MAX = 10_000;

  private static final String WEBHOOK_URL = "SELECT webhook_url FROM merchants WHERE id = $1";

  private final Vertx vertx;
  private final Pool pool;
  private final WebClient client;
  private final OutboundRules rules;
  private final MerchantService merchants;
  private final OrderStore orders;
  private final Clock clock;
  private final Cache<String, Optional<String>> urls = ShortLivedCache.of(URLS_CACHED_MAX);

  public Webhooks(Vertx vertx, Pool pool, WebClient client, OutboundRules rules, MerchantService merchants,
      OrderStore orders, Clock clock) {
    this.vertx = vertx;
    this.pool = pool;
    this.client = client;
    this.rules = rules;
    this.merchants = merchants;
    this.orders = orders;
    this.clock = clock;
  }

  /**
   * Sends one webhook for an order of {@code merchantId} (null when not known: read from the order); fails
   * on anything but a 2xx answer, so the outbox tries again. A merchant without a URL costs no order read.
   */
  public Future<Void> send(String eventId, String orderId, String merchantId, EvidenceType type) {
    if (merchantId == null) {
      return orders.load(orderId).compose(stored -> stored == null
          ? Future.succeededFuture()
          : send(eventId, orderId, stored.merchantId(), type));
    }
    return url(merchantId).compose(url -> url.isEmpty()
        ? Future.succeededFuture()
        : orders.load(orderId).compose(stored -> stored == null
            ? Future.succeededFuture()
            : post(eventId, stored, url.get(), type)));
  }

  private Future<Optional<String>> url(String merchantId) {
    Optional<String> known = urls.getIfPresent(merchantId);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return pool.preparedQuery(WEBHOOK_URL).execute(Tuple.of(merchantId)).map(rows -> {
      Optional<String> url = Optional.ofNullable(
          rows.size() == 0 ? null : rows.iterator().next().getString("webhook_url"));
      urls.put(merchantId, url);
      return url;
    });
  }

  private Future<Void> post(String eventId, StoredOrder stored, String url, EvidenceType type) {
    return merchants.webhookSecret(stored.merchantId()).compose(secret -> {
      Buffer body = new JsonObject()
          .put("id", eventId)
          .put("type", type.code())
          .put("created_at", clock.instant().toString())
          .put("order", OrderViews.merchant(stored))
          .toBuffer();
      String signature = Signatures.builder().secret(secret).clock(clock).build().sign(body);
      return rules.request(vertx, client, HttpMethod.POST, url)
          .compose(request -> request
              .timeout(TIMEOUT.toMillis())
              .putHeader("Content-Type", "application/json")
              .putHeader(Signatures.HEADER, signature)
              .putHeader(EVENT_ID_HEADER, eventId)
              .sendBuffer(body))
          .compose(response -> response.statusCode() / 100 == 2
              ? Future.<Void>succeededFuture()
              : Future.failedFuture(new IllegalStateException("the webhook URL answered " + response.statusCode())));
    });
  }
}
