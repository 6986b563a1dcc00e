package io.keyhold.simulator.client;

/**
 * A merchant the simulator created through the operator API, with the API key shown once.
 *
 * @param id {@code mer_...}
 * @param apiKey the merchant's API key; never logged
 */
public record CreatedMerchant(String id, String apiKey) {
  @Override
  public String toString() {
    return "CreatedMerchant[" + id + ", apiKey=redacted]";
  }
}
