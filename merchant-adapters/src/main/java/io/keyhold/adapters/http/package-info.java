/**
 * The Keyhold merchant protocol over HTTP (see PROTOCOL.md): the {@code http} adapter and the
 * {@code http} issuer validator.
 */
package io.keyhold.adapters.http;
