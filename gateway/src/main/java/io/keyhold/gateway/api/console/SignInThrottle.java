package io.keyhold.gateway.api.console;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Failed console sign-ins per client address, in this gateway's memory: past {@link #FAILURES_MAX} within
 * {@link #WINDOW} an address is refused until the window that began with its first failure ends. A key is 256 random
 * bits, so this is not what protects it; it keeps a script from filling logs and pools with guesses, and the count is
 * what the operator sees on {@code keyhold.console.sign_in.failures}.
 */
final class SignInThrottle {
  /** Failed sign-ins an address may make per window. */
  static final int FAILURES_MAX = 10;
  static final Duration WINDOW = Duration.ofMinutes(1);
  /** Addresses remembered at most; past that the oldest are forgotten, which only lets a guesser try again. */
  static final int ADDRESSES_MAX = 10_000;

  private final Cache<String, AtomicInteger> failures = Caffeine.newBuilder()
      .maximumSize(ADDRESSES_MAX).expireAfterWrite(WINDOW).build();

  /** True when {@code address} failed too often in the current window. */
  boolean refuses(String address) {
    AtomicInteger count = failures.getIfPresent(address);
    return count != null && count.get() >= FAILURES_MAX;
  }

  void failed(String address) {
    failures.get(address, ignored -> new AtomicInteger()).incrementAndGet();
  }

  /** Seconds until a refused address may try again, at most. */
  static int retryAfterSeconds() {
    return (int) WINDOW.toSeconds();
  }
}
