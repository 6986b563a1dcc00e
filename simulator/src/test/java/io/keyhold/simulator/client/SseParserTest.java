package io.keyhold.simulator.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
  private final List<String> events = new ArrayList<>();
  private final SseParser parser = new SseParser((event, data) -> events.add(event + "|" + data));

  @Test
  void readsEventsWhateverTheChunksAndLineEndings() {
    String stream = ": keep-alive\r\nevent: order\r\ndata: {\"id\":\"ord_1\",\"state\":\"funded\"}\r\n\r\n"
        + "event: order\ndata: {\"id\":\"ord_1\",\n"
        + "data: \"state\":\"ready\"}\n\n"
        + "data: plain ünïcode\n\n";
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    // One byte at a time: splits every line ending and every UTF-8 character.
    for (byte b : bytes) {
      parser.feed(Buffer.buffer(new byte[] {b}));
    }

    assertThat(events).containsExactly(
        "order|{\"id\":\"ord_1\",\"state\":\"funded\"}",
        "order|{\"id\":\"ord_1\",\n\"state\":\"ready\"}",
        "message|plain ünïcode");
  }

  @Test
  void anEventWithoutDataIsNotHandedOn() {
    parser.feed(Buffer.buffer("event: order\n\n: only a comment\n\n"));

    assertThat(events).isEmpty();
  }

  @Test
  void anEndlessLineIsRefusedInsteadOfBufferedForever() {
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) 'x');

    assertThatThrownBy(() -> {
      for (int i = 0; i < 10; i++) {
        parser.feed(Buffer.buffer(chunk));
      }
    }).isInstanceOf(IllegalStateException.class).hasMessageContaining("longer than");
  }
}
