/**
 * The buyer's HTML pages (checkout, order) and the choice of their language.
 *
 * <p>Part of the {@code api} layer: may use the rest of {@code api} and every layer below it.
 */
package io.keyhold.gateway.api.pages;
