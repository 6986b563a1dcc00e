/**
 * The {@code Keyhold-Signature} recipe (HMAC-SHA256 over timestamp and raw body, replay window, replay
 * cache, two secrets during rotation), shared by the merchant protocol and the gateway's webhooks.
 */
package io.keyhold.adapters.signature;
