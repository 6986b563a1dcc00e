package io.keyhold.adapters.signature;

import io.keyhold.adapters.spi.Range;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies messages the way the Keyhold merchant protocol says (PROTOCOL.md, section 3):
 * {@code Keyhold-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>}, one
 * {@code v1} per active secret (two during a rotation), a replay window in both directions, a replay
 * cache of accepted signatures, and constant-time comparison. The gateway uses the same class to sign
 * its webhooks.
 *
 * <p>Thread-safe and cheap enough for an event loop: one HMAC-SHA256 per secret over a body of at most
 * a few tens of kilobytes takes microseconds.
 */
public final class Signatures {

  /** The header carrying the signature, on every request and answer. */
  public static final String HEADER = "Keyhold-Signature";
  /** How far {@code t} may be from the receiver's clock, either way, by default. */
  public static final int DEFAULT_REPLAY_WINDOW_SECONDS = 300;
  /** Largest replay window accepted. */
  public static final int REPLAY_WINDOW_SECONDS_MAX = 3_600;
  /** Secrets active at once: the current one and, during a rotation, the next. */
  public static final int ACTIVE_SECRETS_MAX = 2;
  /** Shortest secret accepted, in UTF-8 bytes. */
  public static final int SECRET_BYTES_MIN = 16;
  /** Longest header accepted; bounds the work spent on a hostile one. */
  public static final int HEADER_CHARS_MAX = 512;

  private static final String ALGORITHM = "HmacSHA256";
  private static final int SIGNATURE_HEX_CHARS = 64;
  private static final int TIMESTAMP_DIGITS_MAX = 12;
  private static final HexFormat HEX = HexFormat.of();

  private final List<SecretKeySpec> secrets;
  private final Clock clock;
  private final int replayWindowSeconds;
  private final ReplayCache replayCache;

  private Signatures(Builder builder) {
    if (builder.secrets.isEmpty()) {
      throw new IllegalArgumentException("at least one secret must be set, but none was");
    }
    this.secrets = List.copyOf(builder.secrets);
    this.clock = builder.clock;
    this.replayWindowSeconds = builder.replayWindowSeconds;
    this.replayCache = builder.replayCache != null ? builder.replayCache : ReplayCache.withDefaultCapacity();
  }

  /** A builder: one or two secrets required; system clock, 300 s window and a default replay cache otherwise. */
  public static Builder builder() {
    return new Builder();
  }

  /** The header value for {@code body}, signed now with every active secret. */
  public String sign(Buffer body) {
    return sign(body.getBytes(), clock.instant().getEpochSecond());
  }

  /** The header value for {@code body}, signed now with every active secret. */
  public String sign(byte[] body) {
    return sign(body, clock.instant().getEpochSecond());
  }

  /** The header value for {@code body} as if signed at {@code unixSeconds}. */
  public String sign(byte[] body, long unixSeconds) {
    if (unixSeconds < 0) {
      throw new IllegalArgumentException("unixSeconds must be at least 0, but was " + unixSeconds);
    }
    StringBuilder header = new StringBuilder("t=").append(unixSeconds);
    for (SecretKeySpec secret : secrets) {
      header.append(",v1=").append(HEX.formatHex(hmac(secret, unixSeconds, body)));
    }
    return header.toString();
  }

  /** Verifies {@code header} (may be null) against the raw {@code body}; see {@link SignatureCheck}. */
  public SignatureCheck verify(String header, Buffer body) {
    return verify(header, body == null ? new byte[0] : body.getBytes());
  }

  /**
   * Verifies {@code header} (may be null) against the raw {@code body}: the header's form, then the
   * replay window, then every {@code v1} against every active secret in constant time, then the
   * replay cache, in which a valid signature is recorded.
   */
  public SignatureCheck verify(String header, byte[] body) {
    Objects.requireNonNull(body, "body");
    long now = clock.instant().getEpochSecond();
    Checked checked = check(header, body, now);
    if (checked.result() != SignatureCheck.VALID) {
      return checked.result();
    }
    return replayCache.record(checked.timestamp() + ":" + HEX.formatHex(checked.matched()),
        checked.timestamp() + replayWindowSeconds, now);
  }

  /**
   * Verifies {@code header} (may be null) against the raw {@code body} like {@link #verify(String, byte[])},
   * but without the replay cache (steps 1 to 3 of PROTOCOL.md section 3.2): a repeat of an authentic
   * message inside the window is {@link SignatureCheck#VALID} again, and nothing is remembered. Only for
   * a receiver that applies a message once by an id of its own and answers every repeat the same way,
   * such as a payment notice, which a provider sends again until it is answered.
   */
  public SignatureCheck authenticate(String header, Buffer body) {
    return authenticate(header, body == null ? new byte[0] : body.getBytes());
  }

  /** {@link #authenticate(String, Buffer)} for a body in bytes. */
  public SignatureCheck authenticate(String header, byte[] body) {
    Objects.requireNonNull(body, "body");
    return check(header, body, clock.instant().getEpochSecond()).result();
  }

  /** The header's form, window and HMAC checked; for a valid one, its time and the {@code v1} that matched. */
  private record Checked(SignatureCheck result, long timestamp, byte[] matched) {
    static Checked failed(SignatureCheck result) {
      return new Checked(result, 0, null);
    }
  }

  private Checked check(String header, byte[] body, long now) {
    if (header == null || header.isEmpty()) {
      return Checked.failed(SignatureCheck.MISSING);
    }
    ParsedHeader parsed = ParsedHeader.parse(header);
    if (parsed == null) {
      return Checked.failed(SignatureCheck.MALFORMED);
    }
    if (Math.abs(now - parsed.timestamp) > replayWindowSeconds) {
      return Checked.failed(SignatureCheck.STALE);
    }
    byte[] matched = null;
    for (SecretKeySpec secret : secrets) {
      byte[] expected = hmac(secret, parsed.timestamp, body);
      for (byte[] candidate : parsed.signatures) {
        if (MessageDigest.isEqual(expected, candidate)) {
          matched = candidate;
        }
      }
    }
    if (matched == null) {
      return Checked.failed(SignatureCheck.MISMATCH);
    }
    return new Checked(SignatureCheck.VALID, parsed.timestamp, matched);
  }

  /** The replay window, in seconds. */
  public int replayWindowSeconds() {
    return replayWindowSeconds;
  }

  /** Number of active secrets (1, or 2 during a rotation). */
  public int activeSecrets() {
    return secrets.size();
  }

  private static byte[] hmac(SecretKeySpec secret, long unixSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(secret);
      mac.update(Long.toString(unixSeconds).getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) '.');
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      // Every Java 17 runtime ships HmacSHA256; reaching this is a broken JVM, not an input problem.
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** Never shows the secrets. */
  @Override
  public String toString() {
    return "Signatures[secrets=" + secrets.size() + ", replayWindowSeconds=" + replayWindowSeconds + "]";
  }

  private record ParsedHeader(long timestamp, List<byte[]> signatures) {

    /** The header's {@code t} and {@code v1} values, or null when it does not follow the recipe. */
    static ParsedHeader parse(String header) {
      if (header.length() > HEADER_CHARS_MAX) {
        return null;
      }
      Long timestamp = null;
      List<byte[]> signatures = new ArrayList<>(ACTIVE_SECRETS_MAX);
      for (String part : header.split(",", -1)) {
        int equals = part.indexOf('=');
        if (equals <= 0) {
          return null;
        }
        String name = part.substring(0, equals).trim();
        String value = part.substring(equals + 1).trim();
        if (name.equals("t")) {
          if (timestamp != null || value.isEmpty() || value.length() > TIMESTAMP_DIGITS_MAX || !allDigits(value)) {
            return null;
          }
          timestamp = Long.parseLong(value);
        } else if (name.equals("v1")) {
          if (signatures.size() == ACTIVE_SECRETS_MAX || value.length() != SIGNATURE_HEX_CHARS || !isHex(value)) {
            return null;
          }
          signatures.add(HEX.parseHex(value.toLowerCase(Locale.ROOT)));
        }
        // Other names are ignored on purpose: room for a future scheme (v2) beside v1.
      }
      if (timestamp == null || signatures.isEmpty()) {
        return null;
      }
      return new ParsedHeader(timestamp, signatures);
    }

    private static boolean allDigits(String value) {
      for (int i = 0; i < value.length(); i++) {
        if (value.charAt(i) < '0' || value.charAt(i) > '9') {
          return false;
        }
      }
      return true;
    }

    private static boolean isHex(String value) {
      for (int i = 0; i < value.length(); i++) {
        if (Character.digit(value.charAt(i), 16) < 0) {
          return false;
        }
      }
      return true;
    }
  }

  /** Builds {@link Signatures}; rejects bad values, naming them (never a secret's value). */
  public static final class Builder {
    private final List<SecretKeySpec> secrets = new ArrayList<>(ACTIVE_SECRETS_MAX);
    private Clock clock = Clock.systemUTC();
    private int replayWindowSeconds = DEFAULT_REPLAY_WINDOW_SECONDS;
    private ReplayCache replayCache;

    private Builder() {}

    /** Adds an active secret (at most {@value Signatures#ACTIVE_SECRETS_MAX}, at least 16 UTF-8 bytes each). */
    public Builder secret(String secret) {
      Objects.requireNonNull(secret, "secret");
      if (secrets.size() == ACTIVE_SECRETS_MAX) {
        throw new IllegalArgumentException(
            "at most " + ACTIVE_SECRETS_MAX + " secrets may be active, but a third was added");
      }
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      if (bytes.length < SECRET_BYTES_MIN) {
        throw new IllegalArgumentException(
            "a secret must be at least " + SECRET_BYTES_MIN + " bytes, but one was " + bytes.length);
      }
      secrets.add(new SecretKeySpec(bytes, ALGORITHM));
      return this;
    }

    /** Adds each of these secrets. */
    public Builder secrets(List<String> secrets) {
      secrets.forEach(this::secret);
      return this;
    }

    /** The clock {@code t} is taken from and checked against. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** 1 to {@value Signatures#REPLAY_WINDOW_SECONDS_MAX}. */
    public Builder replayWindowSeconds(int seconds) {
      this.replayWindowSeconds = Range.check("replayWindowSeconds", seconds, 1, REPLAY_WINDOW_SECONDS_MAX);
      return this;
    }

    /** The cache of accepted signatures; one of default capacity when not set. */
    public Builder replayCache(ReplayCache replayCache) {
      this.replayCache = Objects.requireNonNull(replayCache, "replayCache");
      return this;
    }

    /** The signer and verifier. */
    public Signatures build() {
      return new Signatures(this);
    }
  }
}
