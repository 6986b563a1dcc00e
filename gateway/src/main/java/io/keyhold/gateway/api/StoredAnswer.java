package io.keyhold.gateway.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * An answer as stored for its Idempotency-Key's replays, before it is sealed: its status, content type and headers
 * as a line of JSON, then its body's bytes as they are, the whole deflated and marked with {@link #DEFLATED}.
 *
 * <p>Deflated because most answers are order views, JSON that shrinks three- to fourfold: the seal (AES-GCM, the
 * gateway's costliest crypto per byte) has that much less to do, and the sealed value stays well under
 * PostgreSQL's 2 KB limit for a value kept in its row — larger, it went to the TOAST table, after a compression
 * attempt that ciphertext always fails, at every stored answer. Deflated before sealing, never after (ciphertext
 * does not compress); the stored length is not shown to anyone, so it tells no attacker about the content.
 *
 * <p>Answers stored before this form are a JSON object with the body in Base64 (first byte {@code '{'}), and are
 * still read.
 */
final class StoredAnswer {
  /** The first byte of the deflated form: never the first byte of the older JSON form ({@code '{'}). */
  static final byte DEFLATED = 1;
  /** The largest answer read back, deflated form inflated; far above any answer a POST gives, below any harm. */
  static final int INFLATED_BYTES_MAX = 8 * 1024 * 1024;

  /** A deflater per thread: its state (~270 KB of zlib's) is made once per event loop, not per answer. */
  private static final ThreadLocal<Deflater> DEFLATERS =
      ThreadLocal.withInitial(() -> new Deflater(Deflater.BEST_SPEED, true));
  private static final int CHUNK_BYTES = 4096;

  private StoredAnswer() {}

  /** The bytes to seal for {@code reply}. */
  static byte[] encode(Reply reply) {
    JsonObject head = new JsonObject()
        .put("status", reply.status())
        .put("content_type", reply.contentType())
        .put("headers", new JsonObject(new HashMap<>(reply.headers())));
    // Compact JSON escapes every line break inside strings, so the first '\n' ends the head.
    byte[] headBytes = head.encode().getBytes(StandardCharsets.UTF_8);
    byte[] body = reply.body().getBytes();
    Deflater deflater = DEFLATERS.get();
    deflater.reset();
    deflater.setInput(headBytes);
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + (headBytes.length + body.length) / 2);
    out.write(DEFLATED);
    byte[] chunk = new byte[CHUNK_BYTES];
    drain(deflater, chunk, out);
    deflater.setInput(new byte[] {'\n'});
    drain(deflater, chunk, out);
    deflater.setInput(body);
    deflater.finish();
    while (!deflater.finished()) {
      out.write(chunk, 0, deflater.deflate(chunk));
    }
    return out.toByteArray();
  }

  private static void drain(Deflater deflater, byte[] chunk, ByteArrayOutputStream out) {
    while (!deflater.needsInput()) {
      out.write(chunk, 0, deflater.deflate(chunk));
    }
  }

  /** The reply stored as {@code stored} (either form), its headers as they were. */
  static Reply decode(byte[] stored) {
    if (stored.length > 0 && stored[0] == DEFLATED) {
      byte[] plain = inflate(stored);
      int newline = indexOf(plain, (byte) '\n');
      if (newline < 0) {
        throw new IllegalStateException("stored answer has no end to its head");
      }
      JsonObject head = new JsonObject(Buffer.buffer(new String(plain, 0, newline, StandardCharsets.UTF_8)));
      Buffer body = Buffer.buffer(plain.length - newline - 1).appendBytes(plain, newline + 1,
          plain.length - newline - 1);
      return reply(head, body);
    }
    JsonObject older = new JsonObject(Buffer.buffer(stored));
    return reply(older, Buffer.buffer(Base64.getDecoder().decode(older.getString("body"))));
  }

  private static Reply reply(JsonObject head, Buffer body) {
    Map<String, String> headers = new HashMap<>();
    head.getJsonObject("headers").forEach(entry -> headers.put(entry.getKey(), String.valueOf(entry.getValue())));
    return new Reply(head.getInteger("status"), head.getString("content_type"), body, headers);
  }

  private static byte[] inflate(byte[] stored) {
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(stored, 1, stored.length - 1);
      ByteArrayOutputStream out = new ByteArrayOutputStream(stored.length * 4);
      byte[] chunk = new byte[CHUNK_BYTES];
      while (!inflater.finished()) {
        int n = inflater.inflate(chunk);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new IllegalStateException("stored answer is cut short");
        }
        if (out.size() + n > INFLATED_BYTES_MAX) {
          throw new IllegalStateException("stored answer inflates past " + INFLATED_BYTES_MAX + " bytes");
        }
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      throw new IllegalStateException("stored answer is not deflated data", e);
    } finally {
      inflater.end();
    }
  }

  private static int indexOf(byte[] bytes, byte wanted) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == wanted) {
        return i;
      }
    }
    return -1;
  }
}
