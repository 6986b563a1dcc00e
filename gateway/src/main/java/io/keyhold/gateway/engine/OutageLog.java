package io.keyhold.gateway.engine;

import io.keyhold.gateway.store.DatabaseOutage;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * What a background worker (the sweeper, the outbox) says about a database outage: its first failed
 * statement once, with the cause, and its recovery once, with how many statements failed meanwhile —
 * not a line per statement per poll for as long as the database is away. Other failures are the
 * caller's to log. Used from the worker's own context only, so it needs no locks.
 */
final class OutageLog {
  private final Logger log;
  private final String worker;
  private boolean down;
  private long downSinceNanos;
  private long failed;

  OutageLog(Logger log, String worker) {
    this.log = Objects.requireNonNull(log, "log");
    this.worker = Objects.requireNonNull(worker, "worker");
  }

  /** Records {@code failure}; answers true (and logs, once per outage) when it is a database outage. */
  boolean outage(Throwable failure) {
    if (!DatabaseOutage.isOutage(failure)) {
      return false;
    }
    failed++;
    if (!down) {
      down = true;
      downSinceNanos = System.nanoTime();
      log.warn("{}: database unavailable ({}); waiting for it", worker, failure.toString());
    }
    return true;
  }

  /** A statement went through: ends an outage under way, with one line; answers true when one just ended. */
  boolean succeeded() {
    boolean ended = down;
    if (down) {
      log.info("{}: database back after {} s, {} statements failed meanwhile", worker,
          (System.nanoTime() - downSinceNanos) / 1_000_000_000L, failed);
      down = false;
      failed = 0;
    }
    return ended;
  }
}
