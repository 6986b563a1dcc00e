package io.keyhold.simulator.env;

import io.keyhold.simulator.client.GatewayClient;
import java.util.Objects;

/** A gateway already running; the simulator only talks to it over HTTP. */
public final class RemoteGateway implements GatewayTarget {
  private final String baseUrl;
  private final String adminToken;

  public RemoteGateway(String url, String adminToken) {
    this.baseUrl = GatewayClient.normalizeBaseUrl(url);
    if (adminToken == null || adminToken.isBlank()) {
      throw new IllegalArgumentException(
          "a remote gateway needs its admin token (--admin-token or KEYHOLD_ADMIN_TOKEN)");
    }
    this.adminToken = Objects.requireNonNull(adminToken);
  }

  @Override
  public String baseUrl() {
    return baseUrl;
  }

  @Override
  public String adminToken() {
    return adminToken;
  }

  @Override
  public String describe() {
    return baseUrl;
  }

  @Override
  public void stop() {
    // Not ours to stop.
  }

  @Override
  public String toString() {
    return "RemoteGateway[" + baseUrl + ", adminToken=redacted]";
  }
}
