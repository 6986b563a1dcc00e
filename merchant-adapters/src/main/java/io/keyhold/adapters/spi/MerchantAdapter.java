package io.keyhold.adapters.spi;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;

/**
 * How Keyhold gets card keys from one merchant: hold stock at checkout, fetch the keys of a paid
 * order, replace a key that turned out bad, release a hold. One instance serves one merchant; the
 * gateway creates it through a {@link MerchantAdapterFactory} chosen by the merchant's adapter type.
 *
 * <h2>Rules every implementation follows</h2>
 *
 * <ul>
 *   <li><b>Non-blocking.</b> Methods may be called on a Vert.x event loop; they never block it and
 *       never throw: every problem, bad arguments included, is a failed {@code Future}.
 *   <li><b>Idempotent.</b> Asking again with the same data gives the same outcome: the same
 *       reservation for the same reservation, the same key for the same order and unit, the same
 *       replacement for the same order, unit and attempt. Callers retry freely after an unknown
 *       outcome.
 *   <li><b>No guesses.</b> When the outcome is not known the {@code Future} fails with
 *       {@link OutcomeUnknownException}; a definite no is {@link MerchantRefusedException}; a call
 *       the resilience policy did not send is {@link CallRejectedException}.
 *   <li><b>One key, one unit.</b> A key handed out for one order is never handed out for another.
 *   <li><b>Keys stay secret.</b> Keys never reach a log line or an exception message.
 *   <li><b>Bad text is a bad key.</b> A key whose text holds a control character is answered as
 *       {@link DeliveredKey#of(UnitIndex, String) refused}, never as a {@link CardKey}: Keyhold counts
 *       the unit delivered with an invalid key and asks for a replacement.
 * </ul>
 *
 * <p>The abstract contract test {@code io.keyhold.adapters.contract.MerchantAdapterContract}, shipped
 * in this module's test-jar, checks these rules; every adapter, built in or third party, passes it.
 */
public interface MerchantAdapter {

  /**
   * Holds {@code quantity} keys of {@code skuId} until {@code until}, all or none.
   *
   * @return the reservation, whose {@code until} is never later than asked; fails with
   *     {@link MerchantRefusedException} ({@link Refusal#OUT_OF_STOCK}, {@link Refusal#UNKNOWN_SKU})
   *     when the merchant cannot hold them. An unknown outcome may leave a hold at the merchant,
   *     which lapses at {@code until} by itself.
   */
  Future<Reservation> reserve(String skuId, int quantity, Instant until);

  /**
   * Fetches the keys of the given units of a paid order, from the order's reservation when it has
   * one.
   *
   * @param units 1 to {@value #UNITS_PER_CALL_MAX} distinct units
   * @return one key for each unit the merchant could serve now, sorted by unit; units missing from
   *     the list are pending (ask again later). Asking again for a unit returns the same key. Fails
   *     with {@link MerchantRefusedException} ({@link Refusal#OUT_OF_STOCK}) when the merchant can
   *     serve none of them and will not later.
   */
  Future<List<DeliveredKey>> provide(OrderRef order, List<UnitIndex> units);

  /**
   * Fetches a new key for one unit whose key was bad. {@code attempt} counts the replacements of
   * this unit from 1: the same order, unit and attempt always give the same key, and a new attempt
   * gives a key never given for this unit before.
   *
   * @param attempt from 1 to {@value #REPLACE_ATTEMPTS_MAX}
   * @return the replacement key; fails with {@link MerchantRefusedException}
   *     ({@link Refusal#UNKNOWN_ORDER} or {@link Refusal#NOT_DELIVERED} when the unit was never
   *     delivered, {@link Refusal#OUT_OF_STOCK})
   */
  Future<DeliveredKey> replace(OrderRef order, UnitIndex unit, int attempt, ReplaceReason reason);

  /**
   * Releases a hold. Cancelling a hold that lapsed, was cancelled before, or was never made succeeds;
   * a hold a delivery already used fails with {@link MerchantRefusedException}
   * ({@link Refusal#RESERVATION_CONSUMED}).
   */
  Future<Void> cancel(Reservation reservation);

  /** Releases what the adapter holds (connections, metrics). The adapter is not used afterwards. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }

  /** Most units one {@link #provide} call may ask for (the protocol's bound). */
  int UNITS_PER_CALL_MAX = 100;

  /** Most replacements of one unit (the protocol's bound). */
  int REPLACE_ATTEMPTS_MAX = 20;
}
