/**
 * The reference merchant: a runnable shop and fake issuer speaking only what PROTOCOL.md says, with
 * switchable faults, for tests, the simulator and shops writing their own endpoint.
 */
package io.keyhold.adapters.reference;
