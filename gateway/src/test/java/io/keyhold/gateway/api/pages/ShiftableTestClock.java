package io.keyhold.gateway.api.pages;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** The real clock plus an offset a test moves forward, so deadlines pass without waiting for them. */
final class ShiftableTestClock extends Clock {
  private final AtomicLong offsetNanos = new AtomicLong();

  void advance(Duration by) {
    offsetNanos.addAndGet(by.toNanos());
  }

  @Override
  public Instant instant() {
    return Instant.now().plusNanos(offsetNanos.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("the gateway's clock is UTC");
  }
}
