/**
 * A stand-in 易支付 (epay) payment site for tests and the simulator, written from the protocol, with faults
 * switchable at run time. Not a payment provider: the gateway's {@code epay} provider talks to it over HTTP.
 */
package io.keyhold.adapters.reference.epay;
