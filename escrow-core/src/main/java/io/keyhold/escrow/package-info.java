/**
 * Keyhold's escrow domain: pure Java, no I/O, no clock, no framework.
 *
 * <h2>How the gateway uses it</h2>
 * <ol>
 *   <li>{@link io.keyhold.escrow.Order#place(OrderDraft, java.time.Instant)} (after reserving stock)
 *       gives the first {@link io.keyhold.escrow.Transition}: store the order row (version 1) and its
 *       first evidence event.</li>
 *   <li>For every input — payment notice, delivery, verdict, buyer or arbiter action, or the sweeper
 *       claiming a row whose {@link io.keyhold.escrow.Order#nextActionAt()} has come — load the order
 *       and call {@link io.keyhold.escrow.Order#on(OrderEvent, java.time.Instant)} with the current time.</li>
 *   <li>A {@link io.keyhold.escrow.Rejection}: answer with its {@link io.keyhold.escrow.RejectionCode}
 *       and store nothing. A duplicate {@link io.keyhold.escrow.Transition}: acknowledge and store
 *       nothing. Otherwise, in one database transaction: update the order row where the version is
 *       still the previous one (else reload and retry), insert the postings as one ledger transaction,
 *       the evidence events and the effects as outbox rows, and persist {@code nextActionAt}. Then run
 *       the {@link io.keyhold.escrow.Effect}s, each idempotent by its key.</li>
 * </ol>
 *
 * <h2>Contract with the gateway</h2>
 * <ul>
 *   <li>Apply {@link io.keyhold.escrow.OrderEvent.DuplicateKeyFound} in the same database transaction
 *       as the {@link io.keyhold.escrow.OrderEvent.KeysDelivered} whose key the fingerprint index
 *       refused: a duplicate key must never get the chance to be checked valid, revealed or paid for.
 *       A later finding (say, an import of leaked keys) is still honoured while the key is sealed.</li>
 *   <li>Before reserving stock for a late payment (made after the payment deadline, or to an expired
 *       order), ask {@link io.keyhold.escrow.Order#wouldFulfilLatePayment(Money, java.time.Instant)}.</li>
 *   <li>{@link io.keyhold.escrow.OrderState#DISPUTED} has no deadline: it waits in the arbiters' queue.</li>
 *   <li>Times are truncated to microseconds, as PostgreSQL stores them, so a stored and reloaded order
 *       and its evidence hash the same.</li>
 * </ul>
 */
package io.keyhold.escrow;
