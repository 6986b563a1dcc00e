package io.keyhold.simulator.env;

/** The gateway a run drives: one started in-process for the run, or one already running elsewhere. */
public interface GatewayTarget {
  /** {@code http(s)://host:port}. */
  String baseUrl();

  /** The operator's bearer token. */
  String adminToken();

  /** How the report names the target (never with the token). */
  String describe();

  /** Stops what this target started; a remote gateway is left running. Blocking. */
  void stop() throws Exception;
}
