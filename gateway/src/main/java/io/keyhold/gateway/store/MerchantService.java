package io.keyhold.gateway.store;

import io.keyhold.gateway.crypto.KeyVault;
import io.keyhold.gateway.crypto.SecretHasher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Creates merchants. The API key is stored as its SHA-256 hash, the webhook secret and the adapter
 * configuration sealed with the {@link KeyVault} (Keyhold signs webhooks with the secret, so it must
 * be recoverable); the plain key and secret exist only in the {@link CreatedMerchant} answered once.
 */
public final class MerchantService {
  /** Prefix of merchant API keys, so a leaked one is recognisable (and scannable). */
  public static final String API_KEY_PREFIX = "khk_";
  public static final String WEBHOOK_SECRET_PREFIX = "khw_";
  public static final String STATUS_ACTIVE = "active";

  private static final String INSERT_MERCHANT = "INSERT INTO merchants (id, name, webhook_url, fee_basis_points,"
      + " adapter_type, adapter_config_key_id, adapter_config_sealed, webhook_secret_key_id, webhook_secret_sealed,"
      + " status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active') RETURNING created_at";
  private static final String INSERT_API_KEY = "INSERT INTO api_keys (key_hash, merchant_id) VALUES ($1, $2)";
  private static final String WEBHOOK_SECRET = "SELECT webhook_secret_key_id, webhook_secret_sealed FROM merchants"
      + " WHERE id = $1";

  public static final String STATUS_SUSPENDED = "suspended";
  private static final String LIST = "SELECT id, name, fee_basis_points, adapter_type, status, created_at FROM merchants"
      + " WHERE ($1::text IS NULL OR strpos(lower(name), lower($1)) > 0 OR id = $1)"
      + " AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3)) ORDER BY created_at DESC, id DESC LIMIT $4";
  // Each setting changes only when given; the answer is the merchant as it now is.
  private static final String UPDATE = "UPDATE merchants SET status = coalesce($2, status),"
      + " fee_basis_points = coalesce($3, fee_basis_points) WHERE id = $1"
      + " RETURNING id, name, fee_basis_points, adapter_type, status, created_at";

  private final Pool pool;
  private final KeyVault vault;

  public MerchantService(Pool pool, KeyVault vault) {
    this.pool = pool;
    this.vault = vault;
  }

  /** Creates a merchant in its own transaction. */
  public Future<CreatedMerchant> create(NewMerchant merchant) {
    return pool.withTransaction(conn -> create(conn, merchant));
  }

  /** Creates a merchant through {@code tx}, the caller's transaction. */
  public Future<CreatedMerchant> create(SqlClient tx, NewMerchant merchant) {
    String id = Ids.newId(Ids.MERCHANT);
    String apiKey = SecretHasher.newToken(API_KEY_PREFIX);
    String webhookSecret = SecretHasher.newToken(WEBHOOK_SECRET_PREFIX);
    KeyVault.Sealed config = vault.sealString(merchant.adapterConfig().encode(), adapterConfigAad(id));
    KeyVault.Sealed secret = vault.sealString(webhookSecret, webhookSecretAad(id));
    Tuple row = Tuple.tuple()
        .addString(id)
        .addString(merchant.name())
        .addString(merchant.webhookUrl())
        .addInteger(merchant.feeBasisPoints())
        .addString(merchant.adapterType())
        .addString(config.keyId())
        .addBuffer(Buffer.buffer(config.ciphertext()))
        .addString(secret.keyId())
        .addBuffer(Buffer.buffer(secret.ciphertext()));
    return tx.preparedQuery(INSERT_MERCHANT).execute(row)
        .compose(rows -> {
          OffsetDateTime createdAt = rows.iterator().next().getOffsetDateTime("created_at");
          return tx.preparedQuery(INSERT_API_KEY)
              .execute(Tuple.of(Buffer.buffer(SecretHasher.hash(apiKey)), id))
              .map(ignored -> new CreatedMerchant(id, merchant, createdAt, apiKey, webhookSecret));
        });
  }

  /**
   * Merchants for the operator, newest first: at most {@code limit}, those whose name contains {@code search} (any
   * case) or whose id it is (null for all), after the one created at {@code afterCreatedAt} with id {@code afterId}.
   */
  public Future<List<JsonObject>> list(String search, OffsetDateTime afterCreatedAt, String afterId, int limit) {
    Tuple args = Tuple.tuple().addString(search).addOffsetDateTime(afterCreatedAt).addString(afterId).addInteger(limit);
    return pool.preparedQuery(LIST).execute(args).map(rows -> {
      List<JsonObject> merchants = new ArrayList<>();
      rows.forEach(row -> merchants.add(view(row)));
      return merchants;
    });
  }

  /**
   * Suspends or reactivates a merchant ({@code status}) and/or sets its fee on orders placed from now on; null leaves
   * a setting as it is. Answers the merchant, or null when there is none with this id.
   */
  public Future<JsonObject> update(String merchantId, String status, Integer feeBasisPoints) {
    return pool.preparedQuery(UPDATE).execute(Tuple.of(merchantId, status, feeBasisPoints))
        .map(rows -> rows.size() == 0 ? null : view(rows.iterator().next()));
  }

  private static JsonObject view(Row row) {
    return new JsonObject()
        .put("id", row.getString("id"))
        .put("name", row.getString("name"))
        .put("fee_basis_points", row.getInteger("fee_basis_points"))
        .put("adapter", new JsonObject().put("type", row.getString("adapter_type")))
        .put("status", row.getString("status"))
        .put("created_at", row.getOffsetDateTime("created_at").toInstant().toString());
  }

  /** The merchant's webhook secret, to sign webhooks with; null when there is no such merchant. */
  public Future<String> webhookSecret(String merchantId) {
    return pool.preparedQuery(WEBHOOK_SECRET).execute(Tuple.of(merchantId)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      var row = rows.iterator().next();
      return vault.openString(new KeyVault.Sealed(row.getString("webhook_secret_key_id"),
          row.getBuffer("webhook_secret_sealed").getBytes()), webhookSecretAad(merchantId));
    });
  }

  private static String adapterConfigAad(String merchantId) {
    return "merchant-adapter-config:" + merchantId;
  }

  private static String webhookSecretAad(String merchantId) {
    return "merchant-webhook-secret:" + merchantId;
  }

  /**
   * What the operator asks for.
   *
   * @param name shown to buyers
   * @param webhookUrl where {@code order.*} webhooks go, or null
   * @param feeBasisPoints the platform fee on released money, 0..10000
   * @param adapterType the merchant adapter ({@code stock}, {@code http}, or a plug-in's type)
   * @param adapterConfig the adapter's settings; stored sealed since it may hold credentials
   */
  public record NewMerchant(String name, String webhookUrl, int feeBasisPoints, String adapterType,
      JsonObject adapterConfig) {
    public NewMerchant {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(adapterType, "adapterType");
      adapterConfig = adapterConfig == null ? new JsonObject() : adapterConfig.copy();
      Range.check("fee basis points", feeBasisPoints, 0, 10_000);
    }

    @Override
    public String toString() {
      return "NewMerchant[" + name + ", adapter=" + adapterType + "]";
    }
  }

  /**
   * A merchant just created, with its API key and webhook secret in the clear: the only time they
   * exist so. {@link #toString()} hides them.
   */
  public record CreatedMerchant(String id, NewMerchant merchant, OffsetDateTime createdAt, String apiKey,
      String webhookSecret) {
    /** The answer to the operator; the one place the key and secret are shown. */
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id)
          .put("name", merchant.name())
          .put("webhook_url", merchant.webhookUrl())
          .put("fee_basis_points", merchant.feeBasisPoints())
          .put("adapter", new JsonObject().put("type", merchant.adapterType()))
          .put("status", STATUS_ACTIVE)
          .put("created_at", createdAt.toInstant().toString())
          .put("api_key", apiKey)
          .put("webhook_secret", webhookSecret);
    }

    @Override
    public String toString() {
      return "CreatedMerchant[" + id + ", apiKey=redacted, webhookSecret=redacted]";
    }
  }
}
