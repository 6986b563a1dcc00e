package io.keyhold.adapters.signature;

/** The result of verifying a {@code Keyhold-Signature} header. Codes are stable (metrics, problem details). */
public enum SignatureCheck {
  /** The signature matched an active secret, within the replay window, for the first time. */
  VALID("valid"),
  /** No header. */
  MISSING("missing"),
  /** The header did not follow the recipe (no {@code t}, no {@code v1}, too long, bad hex...). */
  MALFORMED("malformed"),
  /** {@code t} is further from the receiver's clock than the replay window. */
  STALE("stale"),
  /** No {@code v1} matched any active secret: forged, or signed with a secret the receiver lacks. */
  MISMATCH("mismatch"),
  /** The same signature was accepted before. */
  REPLAYED("replayed"),
  /** The replay cache is full of unexpired signatures; rejected rather than forgetting one. */
  REPLAY_CACHE_FULL("replay_cache_full");

  private final String code;

  SignatureCheck(String code) {
    this.code = code;
  }

  /** The stable code of this result. */
  public String code() {
    return code;
  }

  /** Whether the message may be trusted. */
  public boolean isValid() {
    return this == VALID;
  }
}
