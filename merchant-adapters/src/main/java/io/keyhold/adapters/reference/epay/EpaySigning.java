package io.keyhold.adapters.reference.epay;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The 易支付 signature, as the stand-in site computes it: the parameters except {@code sign},
 * {@code sign_type} and empty values, sorted by name (ASCII), joined as {@code a=1&b=2} with raw
 * (not URL-encoded) values; then either the lowercase hex MD5 of that string followed directly by the
 * merchant key ({@code sign_type=MD5}), or its SHA256withRSA signature in Base64 ({@code sign_type=RSA}).
 */
public final class EpaySigning {
  private EpaySigning() {}

  /** The string both signatures are made over. */
  public static String content(Map<String, String> params) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
      if (e.getKey().equals("sign") || e.getKey().equals("sign_type") || e.getValue() == null
          || e.getValue().isEmpty()) {
        continue;
      }
      if (out.length() > 0) {
        out.append('&');
      }
      out.append(e.getKey()).append('=').append(e.getValue());
    }
    return out.toString();
  }

  public static String md5(Map<String, String> params, String key) {
    try {
      byte[] digest = MessageDigest.getInstance("MD5")
          .digest((content(params) + key).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("MD5 is missing from this JDK", e);
    }
  }

  public static String rsa(Map<String, String> params, PrivateKey key) {
    try {
      Signature signature = Signature.getInstance("SHA256withRSA");
      signature.initSign(key);
      signature.update(content(params).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(signature.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with RSA", e);
    }
  }

  public static boolean verifyRsa(Map<String, String> params, String sign, PublicKey key) {
    try {
      Signature signature = Signature.getInstance("SHA256withRSA");
      signature.initVerify(key);
      signature.update(content(params).getBytes(StandardCharsets.UTF_8));
      return signature.verify(Base64.getDecoder().decode(sign));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Compares in time independent of where the two differ. */
  public static boolean same(String a, String b) {
    return a != null && b != null
        && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
