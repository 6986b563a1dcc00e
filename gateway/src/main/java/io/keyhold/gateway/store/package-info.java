/**
 * PostgreSQL through vertx-pg-client: the database and its migrations, ids, and the repositories
 * and codecs of orders, stock keys, delivered keys, merchants, merchants' daily counts and the catalog. The store keeps and
 * finds; it decides nothing about an order (escrow-core does, in the engine). {@link
 * io.keyhold.gateway.store.ContextFutures} hands a future made on one event loop to callers on the others.
 *
 * <p>May use {@code crypto}; never {@code adapters}, {@code engine} or {@code api}.
 */
package io.keyhold.gateway.store;
