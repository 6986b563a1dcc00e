/**
 * Where Keyhold may send a request that a merchant chose the address of (a shop's base URL, an
 * issuer's check URL, a webhook URL): {@code https} towards public addresses only, or a host the
 * operator allow-listed. The rules are applied when a URL is given and again, on the address actually
 * connected to, when a request is sent, so a name that resolves elsewhere later (DNS rebinding) gets
 * nothing.
 */
package io.keyhold.adapters.outbound;
