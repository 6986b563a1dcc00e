package io.keyhold.gateway.store;

import io.keyhold.escrow.Compensation;
import io.keyhold.escrow.LatePaymentPolicy;
import io.keyhold.escrow.SkuPolicy;
import io.keyhold.escrow.UnknownVerdictPolicy;
import io.keyhold.gateway.crypto.KeyVault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;

/**
 * The SKUs of each merchant. Every query names the merchant, so one merchant never reads or writes
 * another's SKU (it is simply not found). A validator's secrets are sealed with the {@link KeyVault},
 * bound to the merchant, the SKU and the validator's place ({@link ValidatorSpec#secretsAad}).
 */
public final class Catalog {
  /**
   * The largest price per unit, in minor units (10^11: a billion of a two-decimal currency). Far
   * below {@code Long.MAX_VALUE}, so price * quantity * fee basis points of one order cannot overflow.
   */
  public static final long PRICE_MINOR_MAX = 100_000_000_000L;
  /** The largest quantity one order may ask for (enforced by the order flows). */
  public static final int QUANTITY_MAX = 1000;
  public static final int VALIDATORS_MAX = 8;

  private static final String COLUMNS = "merchant_id, id, name, price_minor, currency, pay_within_seconds,"
      + " deliver_within_seconds, validate_within_seconds, resupply_within_seconds, max_resupply_attempts,"
      + " inspection_window_seconds, max_hold_seconds, unknown_verdict_policy, late_payment_policy, adapter_type,"
      + " validators, created_at, compensation_basis, compensation_value";
  private static final String INSERT = "INSERT INTO skus (merchant_id, id, name, price_minor, currency,"
      + " pay_within_seconds, deliver_within_seconds, validate_within_seconds, resupply_within_seconds,"
      + " max_resupply_attempts, inspection_window_seconds, max_hold_seconds, unknown_verdict_policy,"
      + " late_payment_policy, adapter_type, validators, compensation_basis, compensation_value)"
      + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING " + COLUMNS;
  private static final String FIND = "SELECT " + COLUMNS + " FROM skus WHERE merchant_id = $1 AND id = $2";
  private static final String LIST = "SELECT " + COLUMNS + " FROM skus WHERE merchant_id = $1"
      + " AND ($2::text IS NULL OR strpos(lower(name), lower($2)) > 0)"
      + " AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4)) ORDER BY created_at DESC, id DESC LIMIT $5";

  static {
    // Invariant: price * quantity of one order fits in a long with room for fee arithmetic.
    assert PRICE_MINOR_MAX <= Long.MAX_VALUE / QUANTITY_MAX / 10_000 : "price bound too large for totals";
  }

  private final KeyVault vault;

  public Catalog(KeyVault vault) {
    this.vault = Objects.requireNonNull(vault, "vault");
  }

  /** Creates a SKU for {@code merchantId} through {@code tx}. */
  public Future<Sku> create(SqlClient tx, String merchantId, NewSku sku) {
    String skuId = Ids.newId(Ids.SKU);
    JsonArray validators = new JsonArray();
    for (int i = 0; i < sku.validators().size(); i++) {
      ValidatorSpec.New validator = sku.validators().get(i);
      ValidatorSpec spec = validator.secrets().isEmpty()
          ? validator.spec()
          : validator.spec().withSealedSecrets(vault.sealString(new JsonObject(new LinkedHashMap<String, Object>(validator.secrets()))
              .encode(), ValidatorSpec.secretsAad(merchantId, skuId, i)));
      validators.add(spec.toStoredJson());
    }
    SkuPolicy p = sku.policy();
    Tuple row = Tuple.tuple()
        .addString(merchantId)
        .addString(skuId)
        .addString(sku.name())
        .addLong(sku.priceMinor())
        .addString(sku.currency())
        .addInteger(seconds(p.payWithin()))
        .addInteger(seconds(p.deliverWithin()))
        .addInteger(seconds(p.validateWithin()))
        .addInteger(seconds(p.resupplyWithin()))
        .addInteger(p.maxResupplyAttempts())
        .addInteger(seconds(p.inspectionWindow()))
        .addInteger(seconds(p.maxHold()))
        .addString(p.unknownVerdictPolicy().code())
        .addString(p.latePaymentPolicy().code())
        .addString(sku.adapterType())
        .addValue(validators)
        .addString(p.compensation() == null ? null : p.compensation().basis().code())
        .addValue(p.compensation() == null ? null : p.compensation().value());
    return tx.preparedQuery(INSERT).execute(row).map(rows -> toSku(rows.iterator().next()));
  }

  /** The merchant's SKU, or null when it has none with this id. */
  public Future<Sku> find(SqlClient client, String merchantId, String skuId) {
    return client.preparedQuery(FIND).execute(Tuple.of(merchantId, skuId))
        .map(rows -> rows.size() == 0 ? null : toSku(rows.iterator().next()));
  }

  /**
   * The merchant's SKUs, newest first: at most {@code limit}, those whose name contains {@code nameContains}
   * (any case; null for all), after the SKU created at {@code afterCreatedAt} with id {@code afterId} (null for the
   * first page).
   */
  public Future<List<Sku>> list(SqlClient client, String merchantId, String nameContains,
      OffsetDateTime afterCreatedAt, String afterId, int limit) {
    Tuple args = Tuple.tuple().addString(merchantId).addString(nameContains).addOffsetDateTime(afterCreatedAt)
        .addString(afterId).addInteger(limit);
    return client.preparedQuery(LIST).execute(args).map(rows -> {
      List<Sku> skus = new ArrayList<>();
      rows.forEach(row -> skus.add(toSku(row)));
      return skus;
    });
  }

  /**
   * A SKU's policy from a row holding the {@code skus} policy columns ({@code pay_within_seconds}...,
   * {@code compensation_basis} and {@code compensation_value}).
   */
  public static SkuPolicy policyOf(Row row) {
    return SkuPolicy.builder()
        .payWithin(Duration.ofSeconds(row.getInteger("pay_within_seconds")))
        .deliverWithin(Duration.ofSeconds(row.getInteger("deliver_within_seconds")))
        .validateWithin(Duration.ofSeconds(row.getInteger("validate_within_seconds")))
        .resupplyWithin(Duration.ofSeconds(row.getInteger("resupply_within_seconds")))
        .maxResupplyAttempts(row.getInteger("max_resupply_attempts"))
        .inspectionWindow(Duration.ofSeconds(row.getInteger("inspection_window_seconds")))
        .maxHold(Duration.ofSeconds(row.getInteger("max_hold_seconds")))
        .unknownVerdictPolicy(UnknownVerdictPolicy.fromCode(row.getString("unknown_verdict_policy")))
        .latePaymentPolicy(LatePaymentPolicy.fromCode(row.getString("late_payment_policy")))
        .compensation(row.getString("compensation_basis") == null ? null : new Compensation(
            Compensation.Basis.fromCode(row.getString("compensation_basis")), row.getLong("compensation_value")))
        .build();
  }

  private static int seconds(Duration duration) {
    return Math.toIntExact(duration.getSeconds());
  }

  private static Sku toSku(Row row) {
    SkuPolicy policy = policyOf(row);
    List<ValidatorSpec> validators = new ArrayList<>();
    JsonArray stored = (JsonArray) row.getValue("validators");
    for (int i = 0; i < stored.size(); i++) {
      validators.add(ValidatorSpec.fromJson(stored.getJsonObject(i)));
    }
    return new Sku(row.getString("id"), row.getString("merchant_id"), row.getString("name"),
        row.getLong("price_minor"), row.getString("currency"), policy, row.getString("adapter_type"), validators,
        row.getOffsetDateTime("created_at"));
  }
}
