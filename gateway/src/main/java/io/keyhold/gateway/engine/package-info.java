/**
 * The order engine: checkout, payment intake, deliveries, the effects of transitions and the outbox
 * that runs them, the deadline sweeper, disputes, evidence bundles, the ledger audit, and merchants' reliability
 * (the fold of evidence into daily counts, and the score). It speaks
 * escrow-core: every change of an order is decided by {@code io.keyhold.escrow.Order}; when it will
 * not do what it is asked it answers a {@link io.keyhold.gateway.engine.Refusal}, never an HTTP problem.
 *
 * <p>May use {@code adapters}, {@code store} and {@code crypto}; never {@code api}.
 */
package io.keyhold.gateway.engine;
