package io.keyhold.gateway.engine;

import io.keyhold.escrow.RejectionCode;
import io.keyhold.gateway.store.StockVault;
import java.util.Objects;

/**
 * The engine's answer when it will not do what it was asked: a stable {@link Code}, a sentence for
 * people, and for {@link Code#ORDER_REFUSED} the order's own {@link RejectionCode}. The engine
 * speaks no HTTP; the API layer turns a refusal into its answer in one place. An expected outcome,
 * so it has no stack trace.
 */
public final class Refusal extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the engine refused. */
  public enum Code {
    /** No such thing (order, SKU, session, dispute, provider), or not the caller's. */
    NOT_FOUND,
    /** A message's signature is missing, stale or wrong. */
    BAD_SIGNATURE,
    /** The same work is running elsewhere right now; the caller may retry soon. */
    BUSY,
    /** The merchant's shop could not be reached, did not answer in time, or refused for its own reasons. */
    MERCHANT_UNAVAILABLE,
    /** A signature between the merchant's shop and Keyhold does not verify, either way (a setup mistake). */
    MERCHANT_BAD_SIGNATURE,
    /** Not enough stock is free for the quantity asked. */
    OUT_OF_STOCK,
    /** A value the caller passed through (a cursor, say) is not one the engine made; {@link #field()} names it. */
    MALFORMED_INPUT,
    /** The order refused the event; {@link #rejection()} says why. */
    ORDER_REFUSED,
    /** The merchant's deposit is below its floor: it takes no new checkouts until topped up. */
    MERCHANT_DEPOSIT_LOW,
    /** A withdrawal would leave the deposit below its floor. */
    DEPOSIT_BELOW_FLOOR,
    /** The deposit is held in another currency than the amount given. */
    DEPOSIT_CURRENCY_MISMATCH,
    /** A backup source is the SKU itself, listed twice, in another currency or dearer than the SKU. */
    BACKUP_SOURCE_UNFIT
  }

  private final Code code;
  private final transient RejectionCode rejection;
  private final String field;
  private final transient StockVault.Shortfall shortfall;

  private Refusal(Code code, String detail, RejectionCode rejection, String field, StockVault.Shortfall shortfall) {
    super(Objects.requireNonNull(detail, "detail"), null, false, false);
    this.code = Objects.requireNonNull(code, "code");
    this.rejection = rejection;
    this.field = field;
    this.shortfall = shortfall;
  }

  public static Refusal of(Code code, String detail) {
    if (code == Code.ORDER_REFUSED || code == Code.MALFORMED_INPUT) {
      throw new IllegalArgumentException(code + " needs its rejection or field");
    }
    return new Refusal(code, detail, null, null, null);
  }

  /**
   * {@link Code#OUT_OF_STOCK} for a SKU whose keys Keyhold holds, saying what the claim found ({@code shortfall}): the
   * keys free, and those orders awaiting payment hold, which come back to stock if their buyers do not pay.
   */
  public static Refusal outOfStock(String detail, StockVault.Shortfall shortfall) {
    return new Refusal(Code.OUT_OF_STOCK, detail, null, null, Objects.requireNonNull(shortfall, "shortfall"));
  }

  /** The order's refusal of an event, as escrow-core gave it. */
  public static Refusal byOrder(RejectionCode rejection, String detail) {
    return new Refusal(Code.ORDER_REFUSED, detail, Objects.requireNonNull(rejection, "rejection"), null, null);
  }

  /** A malformed value in {@code field} ({@code query:cursor}, a JSON pointer...). */
  public static Refusal malformed(String field, String detail) {
    return new Refusal(Code.MALFORMED_INPUT, detail, null, Objects.requireNonNull(field, "field"), null);
  }

  public Code code() {
    return code;
  }

  /** The order's rejection code for {@link Code#ORDER_REFUSED}, else null. */
  public RejectionCode rejection() {
    return rejection;
  }

  /** The malformed field for {@link Code#MALFORMED_INPUT}, else null. */
  public String field() {
    return field;
  }

  /**
   * For {@link Code#OUT_OF_STOCK} of keys Keyhold holds (the consignment stock), the keys free and those unpaid
   * orders hold; null when not known (a remote shop's stock).
   */
  public StockVault.Shortfall shortfall() {
    return shortfall;
  }

  public String detail() {
    return getMessage();
  }
}
