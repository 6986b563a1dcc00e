/**
 * The composition root: {@link io.keyhold.gateway.Gateway} builds every part and wires them,
 * {@link io.keyhold.gateway.GatewayMain} starts it from the command line, {@link io.keyhold.gateway.GatewayConfig}
 * holds its settings ({@link io.keyhold.gateway.BadSettingException} for one it cannot start with),
 * {@link io.keyhold.gateway.HttpServerVerticle} is one of its HTTP servers (one per event loop),
 * {@link io.keyhold.gateway.DemoShop} seeds a demo merchant and {@link io.keyhold.gateway.VertxGaugeRepeats}
 * quiets one repeated Vert.x metrics warning.
 *
 * <p>May use every layer; no layer uses it. The layers, from the top: {@code api} → {@code engine} →
 * {@code adapters} → {@code store} → {@code crypto}; each may use those below it and none above
 * (a test of the gateway holds this).
 */
package io.keyhold.gateway;
