package io.keyhold.gateway;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Drops Micrometer's "This Gauge has been already registered" line when the gauge is one of Vert.x's.
 *
 * <p>vertx-micrometer-metrics registers its gauges again for every connection and every request, on
 * purpose: the registration is how it finds the one {@code LongAdder} kept per meter id (see
 * vert-x3/vertx-micrometer-metrics#259 and micrometer-metrics/micrometer#6931). Micrometer warns at the
 * first repeat in a process, so every start warned as soon as the database pool opened its second
 * connection, about nothing an operator could change. The same line about any other meter still passes.
 */
final class VertxGaugeRepeats extends TurboFilter {
  private static final String LOGGER = MeterRegistry.class.getName();
  private static final String VERTX_GAUGE_REPEAT = "This Gauge has been already registered (MeterId{name='vertx.";

  private VertxGaugeRepeats() {}

  /** Adds the filter to the process's logback context, once; does nothing under another SLF4J backend. */
  static synchronized void install() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
        && context.getTurboFilterList().stream().noneMatch(VertxGaugeRepeats.class::isInstance)) {
      VertxGaugeRepeats filter = new VertxGaugeRepeats();
      filter.setName("vertx-gauge-repeats");
      filter.setContext(context);
      filter.start();
      context.addTurboFilter(filter);
    }
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    return format != null && logger != null && logger.getName().equals(LOGGER) && format.startsWith(VERTX_GAUGE_REPEAT)
        ? FilterReply.DENY
        : FilterReply.NEUTRAL;
  }
}
