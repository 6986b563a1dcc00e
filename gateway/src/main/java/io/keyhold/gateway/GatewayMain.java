package io.keyhold.gateway;

/** Starts the Keyhold gateway (filled in by the gateway issue). */
public final class GatewayMain {
  private GatewayMain() {}

  public static void main(String[] args) {
    throw new UnsupportedOperationException("the gateway is not built yet (issue 4)");
  }
}
