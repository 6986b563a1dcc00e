package io.keyhold.gateway.adapters;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * A payment provider as the gateway sees it: it sends signed notices about payments to
 * {@code POST /v1/payments/<id>/notify}, and it refunds. One instance serves the whole gateway; it is
 * created by a {@link PaymentProviderFactory} found with {@code ServiceLoader} (the built-in
 * {@code sandbox} is registered by the gateway itself).
 *
 * <h2>Rules every implementation follows</h2>
 *
 * <ul>
 *   <li><b>Non-blocking.</b> Methods are called on a Vert.x event loop; they never block and never
 *       throw: every problem is a failed {@code Future}.
 *   <li><b>Authentic notices only.</b> {@link #readNotice} fails with {@link NoticeRejectedException}
 *       for a notice whose signature does not verify, with a stable reason code (the signature check's);
 *       the gateway then answers 401, stores nothing, and counts and logs the notice by that reason.
 *       A notice that verifies but repeats an earlier one is read normally: the gateway is idempotent
 *       by {@link PaymentNotice#transactionId()}.
 *   <li><b>Idempotent refunds.</b> {@link #refund} with the same {@link RefundRequest#idempotencyKey()}
 *       refunds once, however often it is called.
 *   <li><b>No secrets in messages.</b> Signing secrets and card data never reach a log line or an
 *       exception message.
 * </ul>
 */
public interface PaymentProvider {

  /** The provider's id in URLs and payment ids: 1 to 32 of {@code [a-z0-9_-]}, starting with a letter. */
  String id();

  /** Verifies and reads one notice from its raw headers and body. */
  Future<PaymentNotice> readNotice(MultiMap headers, Buffer body);

  /**
   * Verifies and reads the notices of one request, in the order the provider sent them. A provider that sends
   * several in one signed request (the sandbox sends a payment's pending and succeeded notice together, as some
   * providers batch their events) reads them all; any other reads the one {@link #readNotice} reads.
   */
  default Future<List<PaymentNotice>> readNotices(MultiMap headers, Buffer body) {
    return readNotice(headers, body).map(List::of);
  }

  /**
   * Returns {@code request.amount()} of the payment {@code request.transactionId()} to the payer.
   *
   * @return the provider's reference for the refund; fails with {@link RefundUnavailableException} when the
   *     provider cannot refund it for good (no refund API, or a refusal that asking again will not change),
   *     which the gateway records as a refund the operator owes instead of asking again
   */
  Future<String> refund(RefundRequest request);

  /**
   * Pays {@code request.amount()} to the payer of the payment {@code request.transactionId()}: compensation from
   * the merchant's deposit. Idempotent by {@link PayoutRequest#idempotencyKey()} like a refund. A provider that
   * cannot pay out fails, and the outbox keeps the payout for an operator.
   *
   * @return the provider's reference for the payout
   */
  default Future<String> payCompensation(PayoutRequest request) {
    return Future.failedFuture(new UnsupportedOperationException("provider " + id() + " cannot pay compensation"));
  }

  /**
   * Whether buyers pay through a payment the gateway starts with {@link #start} (a remote site such as 易支付),
   * rather than one the provider starts itself. For such a provider the gateway records every payment it
   * starts, refuses a notice for one it did not start or for another order, amount or currency, and asks
   * {@link #query} about started payments whose notice never came.
   */
  default boolean startsPayments() {
    return false;
  }

  /**
   * Starts a payment at the provider and answers where the buyer is sent to pay it (a URL that may carry a
   * signature: never log it). Only for a provider that {@link #startsPayments()}.
   */
  default Future<String> start(PaymentStart payment) {
    return Future.failedFuture(new UnsupportedOperationException("provider " + id() + " starts no payments"));
  }

  /**
   * Asks the provider about a payment the gateway started: its notice when the buyer paid, or null when the
   * provider does not know it as paid (yet). The gateway applies the answer exactly like a notice. Fails when the
   * provider could not be asked (the gateway asks again later).
   */
  default Future<PaymentNotice> query(PaymentStart payment) {
    return Future.succeededFuture(null);
  }

  /**
   * The plain-text body a provider expects once a notice is recorded (易支付 sites send a notice again until they
   * read {@code success}), or null for the gateway's JSON {@code {"status":"accepted"}}. A provider with a text
   * answer may also send its notices as a GET: {@link #readNotice} then gets the raw query string as the body.
   */
  default String noticeAnswer() {
    return null;
  }

  /** Releases what the provider holds. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
