package io.keyhold.adapters.spi;

/**
 * Why an adapter or validator call failed. Every failed {@code Future} of the SPI carries one of three
 * kinds, and each kind tells the caller what it may conclude:
 *
 * <ul>
 *   <li>{@link OutcomeUnknownException} — the call may or may not have taken effect (timeout, lost
 *       connection, server error, an answer that was unsigned or unreadable). Never conclude anything;
 *       ask again later with the same data.
 *   <li>{@link CallRejectedException} — the call was not sent (circuit open, bulkhead full). Nothing
 *       happened at the merchant; try again later.
 *   <li>{@link MerchantRefusedException} — the merchant answered, authentically, with a definite no
 *       (out of stock, unknown SKU...). Nothing happened at the merchant; do not repeat unchanged.
 * </ul>
 *
 * <p>A failure that is none of these (an {@link IllegalArgumentException} for a bad argument, say) is
 * a programming error. Messages name codes and identifiers, never card keys or secrets.
 */
public abstract sealed class AdapterException extends RuntimeException
    permits OutcomeUnknownException, CallRejectedException, MerchantRefusedException {

  private static final long serialVersionUID = 1L;

  AdapterException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A stable, machine-readable code for this failure, fit for metrics and persisted records. */
  public abstract String code();

  /** Whether the merchant may have acted on the call ({@code true} only for an unknown outcome). */
  public abstract boolean mayHaveTakenEffect();
}
