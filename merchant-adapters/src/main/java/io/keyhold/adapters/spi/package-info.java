/**
 * The merchant adapter SPI: how Keyhold gets card keys from a shop ({@link
 * io.keyhold.adapters.spi.MerchantAdapter}) and checks them ({@link io.keyhold.adapters.spi.KeyValidator}),
 * the factories found with {@link java.util.ServiceLoader} ({@link io.keyhold.adapters.spi.AdapterRegistry}),
 * the context an adapter gets, the value types passed in and out, and the three failures a call can
 * end with. Start with {@link io.keyhold.adapters.spi.MerchantAdapter}.
 */
package io.keyhold.adapters.spi;
