package io.keyhold.gateway.engine;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a buyer or arbiter would write to check an evidence bundle with nothing but the JDK: a small
 * JSON reader, the RFC 8785 canonical form as documented on {@code GET /v1/buyer/orders/{id}/evidence}
 * (written here from the documentation, independently of {@link CanonicalJson}), and
 * {@code java.security} Ed25519.
 */
final class JdkOnlyVerifier {
  private final String text;
  private int at;

  private JdkOnlyVerifier(String text) {
    this.text = text;
  }

  /** Parses JSON text into Map (member order kept), List, String, Long, Boolean or null. */
  static Object parse(String json) {
    JdkOnlyVerifier reader = new JdkOnlyVerifier(json);
    Object value = reader.value();
    reader.skipSpace();
    if (reader.at != json.length()) {
      throw new IllegalArgumentException("trailing text at " + reader.at);
    }
    return value;
  }

  /** True when {@code signatureBase64} is an Ed25519 signature of {@code canonical} by the X.509 key. */
  static boolean verify(String publicKeyBase64, byte[] canonical, String signatureBase64) throws Exception {
    PublicKey key = KeyFactory.getInstance("Ed25519")
        .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(publicKeyBase64)));
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(key);
    verifier.update(canonical);
    return verifier.verify(Base64.getDecoder().decode(signatureBase64));
  }

  /** RFC 8785 canonical UTF-8 bytes of a parsed value (integers only, as bundles hold). */
  static byte[] canonical(Object value) {
    StringBuilder out = new StringBuilder();
    write(out, value);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private static void write(StringBuilder out, Object value) {
    if (value instanceof Map<?, ?> map) {
      // JCS sorts member names by their UTF-16 code units, which is what String.compareTo does.
      TreeMap<String, Object> sorted = new TreeMap<>((Map<String, Object>) map);
      out.append('{');
      boolean first = true;
      for (Map.Entry<String, Object> entry : sorted.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        string(out, entry.getKey());
        out.append(':');
        write(out, entry.getValue());
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(out, list.get(i));
      }
      out.append(']');
    } else if (value instanceof String s) {
      string(out, s);
    } else {
      out.append(value);
    }
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\t') {
        out.append("\\t");
      } else if (c == '\b') {
        out.append("\\b");
      } else if (c == '\f') {
        out.append("\\f");
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }

  private Object value() {
    skipSpace();
    char c = text.charAt(at);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        expect("true");
        return Boolean.TRUE;
      case 'f':
        expect("false");
        return Boolean.FALSE;
      case 'n':
        expect("null");
        return null;
      default:
        return number();
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> map = new LinkedHashMap<>();
    at++;
    skipSpace();
    if (text.charAt(at) == '}') {
      at++;
      return map;
    }
    while (true) {
      skipSpace();
      String name = string();
      skipSpace();
      expect(":");
      map.put(name, value());
      skipSpace();
      if (text.charAt(at) == ',') {
        at++;
        continue;
      }
      expect("}");
      return map;
    }
  }

  private List<Object> array() {
    List<Object> list = new ArrayList<>();
    at++;
    skipSpace();
    if (text.charAt(at) == ']') {
      at++;
      return list;
    }
    while (true) {
      list.add(value());
      skipSpace();
      if (text.charAt(at) == ',') {
        at++;
        continue;
      }
      expect("]");
      return list;
    }
  }

  private String string() {
    expect("\"");
    StringBuilder out = new StringBuilder();
    while (true) {
      char c = text.charAt(at++);
      if (c == '"') {
        return out.toString();
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char escaped = text.charAt(at++);
      switch (escaped) {
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'u' -> {
          out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
        }
        default -> out.append(escaped);
      }
    }
  }

  private Long number() {
    int start = at;
    if (text.charAt(at) == '-') {
      at++;
    }
    while (at < text.length() && Character.isDigit(text.charAt(at))) {
      at++;
    }
    if (at < text.length() && (text.charAt(at) == '.' || text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
      throw new IllegalArgumentException("a bundle holds integers only, found a fraction at " + start);
    }
    return Long.parseLong(text.substring(start, at));
  }

  private void expect(String word) {
    if (!text.startsWith(word, at)) {
      throw new IllegalArgumentException("expected " + word + " at " + at);
    }
    at += word.length();
  }

  private void skipSpace() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }
}
