package io.keyhold.simulator.client;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Reads a {@code text/event-stream} (the WHATWG server-sent events format) fed in chunks of any size,
 * and hands each complete event's name and data to a consumer. Comments ({@code :keep-alive}) and
 * unknown fields are skipped. A line longer than {@link #LINE_BYTES_MAX} or an event larger than
 * {@link #EVENT_BYTES_MAX} ends the stream with an {@link IllegalStateException}: the simulator
 * bounds what it buffers.
 */
public final class SseParser {
  public static final int LINE_BYTES_MAX = 256 * 1024;
  public static final int EVENT_BYTES_MAX = 512 * 1024;

  private final BiConsumer<String, String> onEvent;
  private final StringBuilder line = new StringBuilder();
  private final StringBuilder data = new StringBuilder();
  private String event = "message";
  private boolean hasData;
  private byte[] pending = new byte[0];
  private boolean skipLineFeed;

  public SseParser(BiConsumer<String, String> onEvent) {
    this.onEvent = onEvent;
  }

  /** Feeds the next chunk; complete events are handed on before this returns. */
  public void feed(Buffer chunk) {
    byte[] bytes = concat(pending, chunk.getBytes());
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      byte b = bytes[i];
      if (skipLineFeed) {
        skipLineFeed = false;
        if (b == '\n') {
          start = i + 1;
          continue;
        }
      }
      if (b == '\n' || b == '\r') {
        line.append(new String(bytes, start, i - start, StandardCharsets.UTF_8));
        endLine();
        skipLineFeed = b == '\r';
        start = i + 1;
      }
    }
    // Keep the bytes of an unfinished line, so a UTF-8 character split across chunks is read whole.
    pending = java.util.Arrays.copyOfRange(bytes, start, bytes.length);
    if (pending.length + line.length() > LINE_BYTES_MAX) {
      throw new IllegalStateException("an event-stream line is longer than " + LINE_BYTES_MAX + " bytes");
    }
  }

  private void endLine() {
    String text = line.toString();
    line.setLength(0);
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (text.startsWith(":")) {
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if ("event".equals(field)) {
      event = value;
    } else if ("data".equals(field)) {
      if (hasData) {
        data.append('\n');
      }
      data.append(value);
      hasData = true;
      if (data.length() > EVENT_BYTES_MAX) {
        throw new IllegalStateException("an event is larger than " + EVENT_BYTES_MAX + " bytes");
      }
    }
  }

  private void dispatch() {
    if (hasData) {
      onEvent.accept(event, data.toString());
    }
    event = "message";
    data.setLength(0);
    hasData = false;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    if (a.length == 0) {
      return b;
    }
    byte[] joined = new byte[a.length + b.length];
    System.arraycopy(a, 0, joined, 0, a.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }
}
