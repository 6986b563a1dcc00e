/**
 * The world outside the gateway: merchants' shops through the merchant-adapters SPI (the built-in
 * stock adapter, remote shops), payment providers (the built-in sandbox and plug-ins) and the
 * webhooks sent to merchants.
 *
 * <p>May use {@code store} and {@code crypto}; never {@code engine} or {@code api}.
 */
package io.keyhold.gateway.adapters;
