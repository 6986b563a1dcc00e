package io.keyhold.simulator.report;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Prints the progress line from its own thread, so the event loop never writes to the terminal.
 * With a console attached the line is rewritten in place ({@code \r}) every
 * {@value #CONSOLE_INTERVAL_MS} ms; otherwise (a pipe, CI) a plain line is printed every
 * {@value #PLAIN_INTERVAL_MS} ms.
 */
public final class ProgressPrinter implements AutoCloseable {
  public static final long CONSOLE_INTERVAL_MS = 250;
  public static final long PLAIN_INTERVAL_MS = 5_000;

  private final PrintStream out;
  private final boolean inPlace;
  private final AtomicReference<ProgressSnapshot> latest;
  private final Thread thread;
  private volatile boolean running = true;
  private int lastLength;

  public ProgressPrinter(PrintStream out, boolean inPlace, AtomicReference<ProgressSnapshot> latest) {
    this.out = out;
    this.inPlace = inPlace;
    this.latest = latest;
    this.thread = new Thread(this::loop, "keyhold-simulator-progress");
    this.thread.setDaemon(true);
  }

  public ProgressPrinter start() {
    thread.start();
    return this;
  }

  private void loop() {
    long interval = inPlace ? CONSOLE_INTERVAL_MS : PLAIN_INTERVAL_MS;
    while (running) {
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      print();
    }
  }

  private synchronized void print() {
    ProgressSnapshot snapshot = latest.get();
    if (snapshot == null) {
      return;
    }
    String line = ProgressLine.format(snapshot);
    if (inPlace) {
      String padding = " ".repeat(Math.max(0, lastLength - line.length()));
      out.print("\r" + line + padding);
      lastLength = line.length();
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Prints the last line once more and ends it. */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    print();
    if (inPlace) {
      synchronized (this) {
        out.println();
        out.flush();
      }
    }
  }
}
