/**
 * The HTTP API: routes tied to the OpenAPI document ({@link io.keyhold.gateway.api.Endpoints}),
 * request parsing ({@link io.keyhold.gateway.api.JsonInput}), authentication, Idempotency-Key
 * records, the in-flight limit, the server-sent event streams, and the one mapping of failures —
 * the engine's {@link io.keyhold.gateway.engine.Refusal} among them — to {@code application/problem+json}
 * ({@link io.keyhold.gateway.api.Problems}). The buyer pages live in {@code api.pages}.
 *
 * <p>May use {@code engine}, {@code adapters}, {@code store} and {@code crypto}. Nothing but the
 * composition root uses it: no class below speaks HTTP.
 */
package io.keyhold.gateway.api;
