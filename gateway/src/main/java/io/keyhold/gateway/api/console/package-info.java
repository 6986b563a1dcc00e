/**
 * The shop console ({@code /console}) and the operator console ({@code /ops}) of issue 17: signing in with the
 * merchant's API key or the admin token in exchange for a session cookie, and signing out. The console pages
 * themselves are static files served with the buyer pages ({@code api.pages}); their scripts call the same
 * {@code /v1} and {@code /admin/v1} routes as everyone else, authenticated by the cookie
 * ({@link io.keyhold.gateway.api.Authenticator}).
 *
 * <p>Part of the {@code api} layer: may use the rest of {@code api} and every layer below it.
 */
package io.keyhold.gateway.api.console;
