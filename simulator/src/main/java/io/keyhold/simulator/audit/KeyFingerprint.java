package io.keyhold.simulator.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.Locale;

/**
 * What the simulator keeps of a revealed key: SHA-256 of the key normalized as the gateway does
 * (NFKC, no spaces or dashes, upper case), so its books can tell keys apart without holding them.
 * The report shows only the first {@value #SHOWN_HEX_CHARS} hex characters.
 */
public final class KeyFingerprint {
  public static final int SHOWN_HEX_CHARS = 12;

  private KeyFingerprint() {}

  public static String of(String key) {
    String normalized = Normalizer.normalize(key, Normalizer.Form.NFKC).replaceAll("[\\s-]", "")
        .toUpperCase(Locale.ROOT);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(normalized.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  public static String shown(String fingerprint) {
    return fingerprint.substring(0, Math.min(SHOWN_HEX_CHARS, fingerprint.length()));
  }
}
