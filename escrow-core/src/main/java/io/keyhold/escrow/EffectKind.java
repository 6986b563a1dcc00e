package io.keyhold.escrow;

/** The kind of an {@link Effect}; part of its idempotency key. */
public enum EffectKind implements Coded {
  /** See {@link Effect.RequestDelivery}. */
  REQUEST_DELIVERY("request_delivery"),
  /** See {@link Effect.RequestReplacement}. */
  REQUEST_REPLACEMENT("request_replacement"),
  /** See {@link Effect.RequestFromBackup}. */
  REQUEST_FROM_BACKUP("request_from_backup"),
  /** See {@link Effect.ValidateUnit}. */
  VALIDATE_UNIT("validate_unit"),
  /** See {@link Effect.RefundPayment}. */
  REFUND_PAYMENT("refund_payment"),
  /** See {@link Effect.ReleaseFunds}. */
  RELEASE_FUNDS("release_funds"),
  /** See {@link Effect.ReturnKeysToShop}. */
  RETURN_KEYS_TO_SHOP("return_keys_to_shop"),
  /** See {@link Effect.ReleaseReservation}. */
  RELEASE_RESERVATION("release_reservation"),
  /** See {@link Effect.Notify}. */
  NOTIFY("notify"),
  /** See {@link Effect.PayCompensation}. */
  PAY_COMPENSATION("pay_compensation");

  private static final CodeLookup<EffectKind> CODES = CodeLookup.of(EffectKind.class, "effect kind");

  private final String code;

  EffectKind(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  /** The constant with this code, or an {@link IllegalArgumentException} naming the code. */
  public static EffectKind fromCode(String code) {
    return CODES.find(code);
  }
}
