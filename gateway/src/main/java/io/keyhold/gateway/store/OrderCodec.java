package io.keyhold.gateway.store;

import io.keyhold.escrow.Award;
import io.keyhold.escrow.BackupSource;
import io.keyhold.escrow.Compensation;
import io.keyhold.escrow.Dispute;
import io.keyhold.escrow.DisputeReason;
import io.keyhold.escrow.EvidenceEvent;
import io.keyhold.escrow.LatePaymentPolicy;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.Order;
import io.keyhold.escrow.OrderState;
import io.keyhold.escrow.OrderUnit;
import io.keyhold.escrow.PaymentRecord;
import io.keyhold.escrow.PaymentUse;
import io.keyhold.escrow.SkuPolicy;
import io.keyhold.escrow.UnitState;
import io.keyhold.escrow.UnknownVerdictPolicy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an escrow-core {@link Order} as the JSON kept in {@code orders.data}, and reads it back.
 * Every component is kept with stable codes (never ordinals) and RFC 3339 times, so the order
 * restored is equal to the order stored ({@code OrderCodecTest} checks the round trip).
 *
 * <p>The format carries a {@value #FORMAT} tag; a later format adds a reader beside this one rather
 * than rewriting stored rows.
 */
public final class OrderCodec {
  /** The format tag of {@code orders.data}. */
  public static final String FORMAT = "keyhold-order-v1";

  private OrderCodec() {}

  /** The order as stored JSON. */
  public static JsonObject encode(Order order) {
    JsonArray units = new JsonArray();
    for (OrderUnit unit : order.units()) {
      JsonObject stored = OrderViews.unit(unit, true, OrderViews.FINGERPRINT, true).put("checks", unit.checks());
      if (unit.source() > 0) {
        stored.put("source", unit.source()).put("source_since", Wire.time(unit.sourceSince()));
      }
      units.add(stored);
    }
    JsonArray payments = new JsonArray();
    for (PaymentRecord payment : order.payments()) {
      payments.add(new JsonObject()
          .put("payment_id", payment.paymentId())
          .put("amount", payment.amount().minorUnits())
          .put("currency", payment.amount().currency().getCurrencyCode())
          .put("use", payment.use().code())
          .put("received_at", Wire.time(payment.receivedAt())));
    }
    JsonObject json = new JsonObject()
        .put("format", FORMAT)
        .put("id", order.id())
        .put("merchant_id", order.merchantId())
        .put("sku_id", order.skuId())
        .put("unit_price", order.unitPrice().minorUnits())
        .put("currency", order.unitPrice().currency().getCurrencyCode())
        .put("fee_basis_points", order.feeBasisPoints())
        .put("policy", encodePolicy(order.policy()))
        .put("state", order.state().code())
        .put("units", units)
        .put("payments", payments);
    if (!order.backups().isEmpty()) {
      JsonArray backups = new JsonArray();
      order.backups().forEach(b -> backups.add(new JsonObject().put("merchant_id", b.merchantId())
          .put("sku_id", b.skuId()).put("fee_basis_points", b.feeBasisPoints())));
      json.put("backups", backups);
    }
    return OrderViews.milestones(json, order)
        .put("dispute", encodeDispute(order.dispute()))
        .put("updated_at", Wire.time(order.updatedAt()))
        .put("version", order.version())
        .put("evidence_seq", order.evidenceSeq())
        .put("last_evidence_hash", order.lastEvidenceHash());
  }

  /** The order stored as {@code data}; fails loudly on a format it does not know. */
  public static Order decode(JsonObject data) {
    if (!FORMAT.equals(data.getString("format"))) {
      throw new IllegalStateException("orders.data has format '" + data.getString("format") + "', expected " + FORMAT);
    }
    String currency = data.getString("currency");
    List<OrderUnit> units = new ArrayList<>();
    for (Object element : data.getJsonArray("units")) {
      JsonObject unit = (JsonObject) element;
      units.add(new OrderUnit(unit.getInteger("index"), UnitState.fromCode(unit.getString("state")),
          unit.getString("key_ref"), unit.getString("fingerprint"), unit.getInteger("deliveries"),
          unit.getInteger("replacements"), unit.getInteger("checks"), instant(unit.getString("delivered_at")),
          instant(unit.getString("checked_at")), unit.getInteger("source", 0),
          instant(unit.getString("source_since"))));
    }
    List<PaymentRecord> payments = new ArrayList<>();
    for (Object element : data.getJsonArray("payments")) {
      JsonObject payment = (JsonObject) element;
      payments.add(new PaymentRecord(payment.getString("payment_id"),
          Money.of(payment.getLong("amount"), payment.getString("currency")),
          PaymentUse.fromCode(payment.getString("use")), instant(payment.getString("received_at"))));
    }
    return new Order(data.getString("id"), data.getString("merchant_id"), data.getString("sku_id"),
        Money.of(data.getLong("unit_price"), currency), data.getInteger("fee_basis_points"),
        decodePolicy(data.getJsonObject("policy")), OrderState.fromCode(data.getString("state")), units, payments,
        instant(data.getString("placed_at")), instant(data.getString("funded_at")),
        instant(data.getString("resupply_started_at")), instant(data.getString("ready_at")),
        instant(data.getString("revealed_at")), decodeDispute(data.getJsonObject("dispute")),
        instant(data.getString("updated_at")), data.getLong("version"), data.getLong("evidence_seq"),
        data.getString("last_evidence_hash"), decodeBackups(data.getJsonArray("backups")));
  }

  private static List<BackupSource> decodeBackups(JsonArray json) {
    List<BackupSource> backups = new ArrayList<>();
    if (json != null) {
      for (Object element : json) {
        JsonObject backup = (JsonObject) element;
        backups.add(new BackupSource(backup.getString("merchant_id"), backup.getString("sku_id"),
            backup.getInteger("fee_basis_points")));
      }
    }
    return backups;
  }

  /** The policy with durations in seconds and the two choices as codes. */
  public static JsonObject encodePolicy(SkuPolicy policy) {
    JsonObject json = new JsonObject()
        .put("pay_within_seconds", policy.payWithin().getSeconds())
        .put("deliver_within_seconds", policy.deliverWithin().getSeconds())
        .put("resupply_within_seconds", policy.resupplyWithin().getSeconds())
        .put("max_resupply_attempts", policy.maxResupplyAttempts())
        .put("validate_within_seconds", policy.validateWithin().getSeconds())
        .put("inspection_window_seconds", policy.inspectionWindow().getSeconds())
        .put("max_hold_seconds", policy.maxHold().getSeconds())
        .put("unknown_verdict", policy.unknownVerdictPolicy().code())
        .put("late_payment", policy.latePaymentPolicy().code());
    if (policy.compensation() != null) {
      json.put("compensation_basis", policy.compensation().basis().code())
          .put("compensation_value", policy.compensation().value());
    }
    return json;
  }

  static SkuPolicy decodePolicy(JsonObject json) {
    return new SkuPolicy(seconds(json, "pay_within_seconds"), seconds(json, "deliver_within_seconds"),
        seconds(json, "resupply_within_seconds"), json.getInteger("max_resupply_attempts"),
        seconds(json, "validate_within_seconds"), seconds(json, "inspection_window_seconds"),
        seconds(json, "max_hold_seconds"), UnknownVerdictPolicy.fromCode(json.getString("unknown_verdict")),
        LatePaymentPolicy.fromCode(json.getString("late_payment")),
        json.getString("compensation_basis") == null ? null : new Compensation(
            Compensation.Basis.fromCode(json.getString("compensation_basis")), json.getLong("compensation_value")));
  }

  private static JsonObject encodeDispute(Dispute dispute) {
    if (dispute == null) {
      return null;
    }
    JsonObject awards = new JsonObject();
    dispute.awards().forEach((unit, award) -> awards.put(Integer.toString(unit), award.code()));
    return new JsonObject()
        .put("reason", dispute.reason().code())
        .put("text", dispute.text())
        .put("opened_at", Wire.time(dispute.openedAt()))
        .put("awards", awards)
        .put("decided_at", Wire.time(dispute.decidedAt()));
  }

  private static Dispute decodeDispute(JsonObject json) {
    if (json == null) {
      return null;
    }
    Map<Integer, Award> awards = new TreeMap<>();
    JsonObject stored = json.getJsonObject("awards");
    for (String unit : stored.fieldNames()) {
      awards.put(Integer.parseInt(unit), Award.fromCode(stored.getString(unit)));
    }
    return new Dispute(DisputeReason.fromCode(json.getString("reason")), json.getString("text"),
        instant(json.getString("opened_at")), awards, instant(json.getString("decided_at")));
  }

  /** An evidence event's details as the {@code evidence_events.data} object. */
  static JsonObject details(EvidenceEvent event) {
    return new JsonObject(new LinkedHashMap<>(event.details()));
  }

  private static Duration seconds(JsonObject json, String name) {
    return Duration.ofSeconds(json.getLong(name));
  }

  private static Instant instant(String text) {
    return Wire.instant(text);
  }
}
