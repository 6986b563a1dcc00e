package io.keyhold.adapters.spi;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The definite refusals a merchant can answer (the problem codes of the merchant protocol). Any code
 * not listed maps to {@link #OTHER}, and the raw code is kept in {@link MerchantRefusedException#code()}.
 */
public enum Refusal {
  /** The request was not valid JSON or missed a field. */
  BAD_REQUEST("bad_request"),
  /** The merchant could not verify Keyhold's signature. */
  BAD_SIGNATURE("bad_signature"),
  /** The merchant does not sell this SKU. */
  UNKNOWN_SKU("unknown_sku"),
  /** The reservation was never made. */
  UNKNOWN_RESERVATION("unknown_reservation"),
  /** The merchant never delivered for this order. */
  UNKNOWN_ORDER("unknown_order"),
  /** No key to give. */
  OUT_OF_STOCK("out_of_stock"),
  /** The reservation was used by a delivery and cannot be cancelled. */
  RESERVATION_CONSUMED("reservation_consumed"),
  /** A replacement was asked for a unit never delivered. */
  NOT_DELIVERED("not_delivered"),
  /** An idempotency key was reused with other data. */
  IDEMPOTENCY_CONFLICT("idempotency_conflict"),
  /** The request exceeded the merchant's body limit. */
  BODY_TOO_LARGE("body_too_large"),
  /** The merchant is shedding load. */
  RATE_LIMITED("rate_limited"),
  /** A code this version does not know. */
  OTHER("other");

  private static final Map<String, Refusal> BY_CODE =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(Refusal::code, Function.identity()));

  private final String code;

  Refusal(String code) {
    this.code = code;
  }

  /** The stable code on the wire. */
  public String code() {
    return code;
  }

  /** The refusal with this code, {@link #OTHER} for a code this version does not know. */
  public static Refusal fromCode(String code) {
    return BY_CODE.getOrDefault(code, OTHER);
  }
}
