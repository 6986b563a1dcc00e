package io.keyhold.gateway.store;

import io.keyhold.escrow.Effect;
import io.keyhold.escrow.EffectKind;
import io.keyhold.escrow.EvidenceType;
import io.keyhold.escrow.Money;
import io.keyhold.escrow.RefundReason;
import io.keyhold.escrow.ReleaseReason;
import io.keyhold.escrow.ReplacementReason;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes escrow-core {@link Effect}s as outbox payloads and reads them back. The row's {@code kind}
 * is the {@link EffectKind} code and its {@code idempotency_key} the effect's own key; the payload
 * holds the rest with stable codes. Payloads name keys only by reference, never a key itself.
 */
public final class EffectCodec {
  private EffectCodec() {}

  public static JsonObject encode(Effect effect) {
    JsonObject json = new JsonObject().put("order_id", effect.orderId());
    if (effect instanceof Effect.RequestDelivery e) {
      json.put("units", new JsonArray(new ArrayList<>(e.units())));
    } else if (effect instanceof Effect.RequestReplacement e) {
      json.put("unit", e.unit()).put("reason", e.reason().code()).put("attempt", e.attempt());
    } else if (effect instanceof Effect.RequestFromBackup e) {
      json.put("unit", e.unit()).put("source", e.source()).put("merchant_id", e.merchantId())
          .put("sku_id", e.skuId()).put("reason", e.reason().code()).put("attempt", e.attempt());
    } else if (effect instanceof Effect.ValidateUnit e) {
      json.put("unit", e.unit()).put("key_ref", e.keyRef()).put("attempt", e.attempt());
    } else if (effect instanceof Effect.RefundPayment e) {
      json.put("payment_id", e.paymentId()).put("amount", e.amount().minorUnits())
          .put("currency", e.amount().currency().getCurrencyCode()).put("reason", e.reason().code());
    } else if (effect instanceof Effect.ReleaseFunds e) {
      json.put("merchant_id", e.merchantId()).put("units", new JsonArray(new ArrayList<>(e.units())))
          .put("gross", e.gross().minorUnits()).put("fee", e.fee().minorUnits()).put("net", e.net().minorUnits())
          .put("currency", e.gross().currency().getCurrencyCode()).put("reason", e.reason().code());
    } else if (effect instanceof Effect.ReturnKeysToShop e) {
      json.put("key_refs", new JsonArray(new ArrayList<>(e.keyRefs())));
    } else if (effect instanceof Effect.ReleaseReservation) {
      // The order id says everything.
    } else if (effect instanceof Effect.Notify e) {
      json.put("type", e.type().code());
    } else if (effect instanceof Effect.PayCompensation e) {
      json.put("payment_id", e.paymentId()).put("amount", e.amount().minorUnits())
          .put("currency", e.amount().currency().getCurrencyCode());
    } else {
      throw new IllegalArgumentException("unknown effect " + effect.getClass().getName());
    }
    return json;
  }

  public static Effect decode(String kindCode, String idempotencyKey, JsonObject json) {
    String orderId = json.getString("order_id");
    return switch (EffectKind.fromCode(kindCode)) {
      case REQUEST_DELIVERY -> new Effect.RequestDelivery(idempotencyKey, orderId, ints(json.getJsonArray("units")));
      case REQUEST_REPLACEMENT -> new Effect.RequestReplacement(idempotencyKey, orderId, json.getInteger("unit"),
          ReplacementReason.fromCode(json.getString("reason")), json.getInteger("attempt"));
      case REQUEST_FROM_BACKUP -> new Effect.RequestFromBackup(idempotencyKey, orderId, json.getInteger("unit"),
          json.getInteger("source"), json.getString("merchant_id"), json.getString("sku_id"),
          ReplacementReason.fromCode(json.getString("reason")), json.getInteger("attempt"));
      case VALIDATE_UNIT -> new Effect.ValidateUnit(idempotencyKey, orderId, json.getInteger("unit"),
          json.getString("key_ref"), json.getInteger("attempt"));
      case REFUND_PAYMENT -> new Effect.RefundPayment(idempotencyKey, orderId, json.getString("payment_id"),
          Money.of(json.getLong("amount"), json.getString("currency")),
          RefundReason.fromCode(json.getString("reason")));
      case RELEASE_FUNDS -> {
        String currency = json.getString("currency");
        yield new Effect.ReleaseFunds(idempotencyKey, orderId, json.getString("merchant_id"),
            ints(json.getJsonArray("units")), Money.of(json.getLong("gross"), currency),
            Money.of(json.getLong("fee"), currency), Money.of(json.getLong("net"), currency),
            ReleaseReason.fromCode(json.getString("reason")));
      }
      case RETURN_KEYS_TO_SHOP -> {
        List<String> refs = new ArrayList<>();
        json.getJsonArray("key_refs").forEach(ref -> refs.add((String) ref));
        yield new Effect.ReturnKeysToShop(idempotencyKey, orderId, refs);
      }
      case RELEASE_RESERVATION -> new Effect.ReleaseReservation(idempotencyKey, orderId);
      case NOTIFY -> new Effect.Notify(idempotencyKey, orderId, EvidenceType.fromCode(json.getString("type")));
      case PAY_COMPENSATION -> new Effect.PayCompensation(idempotencyKey, orderId, json.getString("payment_id"),
          Money.of(json.getLong("amount"), json.getString("currency")));
    };
  }

  private static List<Integer> ints(JsonArray array) {
    List<Integer> values = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      values.add(array.getInteger(i));
    }
    return values;
  }
}
