package io.keyhold.adapters.resilience;

/**
 * Whether a remote call may be repeated safely. Only {@link #IDEMPOTENT} calls are retried by
 * {@link ResilientCalls}: repeating a call that is not could act twice (reserve twice, charge twice).
 */
public enum Idempotency {
  /** Repeating the call gives the same outcome and no second effect; it may be retried. */
  IDEMPOTENT,
  /** Repeating the call could act twice; it runs exactly once. */
  NOT_IDEMPOTENT
}
