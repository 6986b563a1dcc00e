/**
 * The per-merchant resilience policy ({@link io.keyhold.adapters.resilience.MerchantPolicy}) and the
 * non-blocking runner that applies it to every remote call ({@link io.keyhold.adapters.resilience.ResilientCalls}).
 */
package io.keyhold.adapters.resilience;
