package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StoredAnswerTest {

  @Test
  void everyAnswerComesBackAsItWasStored() {
    Random random = new Random(20261204L);
    for (int i = 0; i < 500; i++) {
      Map<String, String> headers = new HashMap<>();
      for (int h = random.nextInt(3); h > 0; h--) {
        headers.put("X-Header-" + h, text(random, 40));
      }
      byte[] body = new byte[random.nextInt(i % 10 == 0 ? 70_000 : 3_000)];
      if (random.nextBoolean()) {
        random.nextBytes(body); // any bytes, newlines and zeros among them
      } else {
        body = text(random, body.length).getBytes(StandardCharsets.UTF_8);
      }
      Reply reply = new Reply(200 + random.nextInt(300), random.nextBoolean() ? Reply.JSON : Problem.CONTENT_TYPE,
          Buffer.buffer(body), headers);

      byte[] stored = StoredAnswer.encode(reply);
      Reply back = StoredAnswer.decode(stored);

      assertThat(stored[0]).isEqualTo(StoredAnswer.DEFLATED);
      assertThat(back.status()).isEqualTo(reply.status());
      assertThat(back.contentType()).isEqualTo(reply.contentType());
      assertThat(back.headers()).isEqualTo(reply.headers());
      assertThat(back.body().getBytes()).isEqualTo(body);
    }
  }

  @Test
  void anOrderViewIsStoredInAFractionOfItsSize() {
    Reply view = Reply.ok(orderView());

    byte[] stored = StoredAnswer.encode(view);

    assertThat(stored.length).isLessThan(view.body().length() / 2);
    assertThat(stored.length).isLessThan(olderForm(view).length / 3);
  }

  @Test
  void anAnswerStoredInTheOlderFormIsStillRead() {
    byte[] body = orderView().encode().getBytes(StandardCharsets.UTF_8);

    Reply back = StoredAnswer.decode(olderForm(new Reply(201, Reply.JSON, Buffer.buffer(body),
        Map.of("Location", "/v1/orders/ord_x"))));

    assertThat(back.status()).isEqualTo(201);
    assertThat(back.contentType()).isEqualTo(Reply.JSON);
    assertThat(back.headers()).containsExactly(Map.entry("Location", "/v1/orders/ord_x"));
    assertThat(back.body().getBytes()).isEqualTo(body);
  }

  @Test
  void aStoredAnswerCutShortFailsInsteadOfAnsweringPartOfIt() {
    byte[] stored = StoredAnswer.encode(Reply.ok(orderView()));

    assertThatThrownBy(() -> StoredAnswer.decode(Arrays.copyOf(stored, stored.length / 2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cut short");
  }

  /** {@code reply} as answers were stored before the deflated form: JSON, the body in Base64. */
  private static byte[] olderForm(Reply reply) {
    return new JsonObject()
        .put("status", reply.status())
        .put("content_type", reply.contentType())
        .put("headers", new JsonObject(new HashMap<>(reply.headers())))
        .put("body", Base64.getEncoder().encodeToString(reply.body().getBytes()))
        .toBuffer().getBytes();
  }

  /** A buyer's order view of the size the gateway answers: deadlines, a timeline, a unit. */
  private static JsonObject orderView() {
    JsonArray timeline = new JsonArray();
    for (String event : new String[] {"order.placed", "order.funded", "unit.delivered", "unit.valid", "order.ready",
        "order.revealed", "order.released"}) {
      timeline.add(new JsonObject().put("event", event).put("at", "2026-12-04T16:05:00.123456Z")
          .put("detail", new JsonObject().put("unit_index", 0).put("source", "stock")));
    }
    return new JsonObject()
        .put("id", "ord_abcdefghijklmnopqrstuvwx")
        .put("state", "released")
        .put("merchant", new JsonObject().put("id", "mer_abcdefghijklmnopqrstuvwx").put("name", "Flash Sale Shop"))
        .put("sku", new JsonObject().put("id", "sku_abcdefghijklmnopqrstuvwx").put("name", "Game card 100"))
        .put("quantity", 1)
        .put("unit_price", new JsonObject().put("minor", 1000).put("currency", "CNY"))
        .put("deadlines", new JsonObject().put("pay_by", "2026-12-04T16:06:00Z")
            .put("deliver_by", "2026-12-04T16:05:10Z").put("validate_by", "2026-12-04T16:05:20Z")
            .put("inspect_until", "2026-12-04T17:05:20Z"))
        .put("units", new JsonArray().add(new JsonObject().put("index", 0).put("state", "released")))
        .put("timeline", timeline);
  }

  private static String text(Random random, int length) {
    StringBuilder text = new StringBuilder(length);
    String alphabet = "abcdefghij {}\":,\n\té€";
    while (text.length() < length) {
      text.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return text.toString();
  }
}
