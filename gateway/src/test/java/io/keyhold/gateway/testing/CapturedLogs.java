package io.keyhold.gateway.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Every log line of the whole process, at every level down to DEBUG, while open: for tests that
 * check what a run logged (or did not). Restores the root level when closed.
 *
 * <pre>{@code
 * try (CapturedLogs logs = CapturedLogs.start()) {
 *   ...
 *   assertThat(logs.messages()).noneMatch(line -> line.contains("already registered"));
 * }
 * }</pre>
 */
public final class CapturedLogs implements AutoCloseable {
  private final Logger root;
  private final Level rootLevel;
  private final ListAppender<ILoggingEvent> appender;

  private CapturedLogs(Logger root, ListAppender<ILoggingEvent> appender) {
    this.root = root;
    this.rootLevel = root.getLevel();
    this.appender = appender;
  }

  public static CapturedLogs start() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.setContext(root.getLoggerContext());
    appender.start();
    CapturedLogs logs = new CapturedLogs(root, appender);
    root.addAppender(appender);
    root.setLevel(Level.DEBUG);
    return logs;
  }

  /** The events so far. */
  public List<ILoggingEvent> events() {
    synchronized (appender) {
      return List.copyOf(appender.list);
    }
  }

  /** The formatted messages so far, each prefixed with its level and logger ("WARN a.b.C: text"). */
  public List<String> messages() {
    return events().stream()
        .map(event -> event.getLevel() + " " + event.getLoggerName() + ": " + event.getFormattedMessage())
        .toList();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    root.setLevel(rootLevel);
    appender.stop();
  }
}
