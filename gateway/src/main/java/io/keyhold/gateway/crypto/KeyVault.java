package io.keyhold.gateway.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts card keys and other secrets at rest with AES-256-GCM.
 *
 * <p>Every sealed value carries the id of the master key that sealed it, stored beside the
 * ciphertext, so master keys can rotate: new values are sealed with the active key, and any key
 * still held by the vault opens the values sealed before. The ciphertext blob is
 * {@code nonce (12 bytes) || ciphertext || tag (16 bytes)}. Callers pass associated data that binds
 * a value to its row (for a card key: its merchant and SKU), so a ciphertext copied onto another row
 * fails to open.
 *
 * <p>Thread-safe. One seal or open costs microseconds; batches of hundreds belong in
 * {@code executeBlocking}.
 */
public final class KeyVault {
  /** AES-256. */
  public static final int KEY_BYTES = 32;
  /** The GCM nonce recommended by NIST SP 800-38D; random per value. */
  public static final int NONCE_BYTES = 12;
  public static final int TAG_BITS = 128;
  /** Key ids are short, printable and safe in a properties file and a column. */
  public static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");

  private static final String TRANSFORMATION = "AES/GCM/NoPadding";
  /**
   * A cipher per thread, set up afresh (key, nonce) by every seal and open: looking one up by name costs a quarter of
   * a seal, and a Cipher is not safe to share between threads.
   */
  private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance(TRANSFORMATION);
    } catch (GeneralSecurityException e) {
      // AES-GCM is mandatory in every JDK: failing here is a broken runtime.
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  });

  private final String activeKeyId;
  private final Map<String, SecretKey> keys;
  private final SecureRandom random = new SecureRandom();

  private KeyVault(String activeKeyId, Map<String, SecretKey> keys) {
    this.activeKeyId = activeKeyId;
    this.keys = keys;
  }

  /**
   * A vault sealing with {@code activeKeyId} and opening with any of {@code keys}.
   *
   * @throws IllegalArgumentException when a key id is malformed, a key is not 32 bytes, or the
   *     active key is missing
   */
  public static KeyVault of(String activeKeyId, Map<String, byte[]> keys) {
    Objects.requireNonNull(activeKeyId, "activeKeyId");
    Map<String, SecretKey> copy = new LinkedHashMap<>();
    keys.forEach(
        (id, bytes) -> {
          if (!KEY_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("vault key id must match " + KEY_ID + ", but was '" + id + "'");
          }
          if (bytes.length != KEY_BYTES) {
            throw new IllegalArgumentException(
                "vault key '" + id + "' must be " + KEY_BYTES + " bytes, but was " + bytes.length);
          }
          copy.put(id, new SecretKeySpec(bytes.clone(), "AES"));
        });
    if (!copy.containsKey(activeKeyId)) {
      throw new IllegalArgumentException(
          "active vault key id '" + activeKeyId + "' must be one of " + copy.keySet());
    }
    return new KeyVault(activeKeyId, Map.copyOf(copy));
  }

  public String activeKeyId() {
    return activeKeyId;
  }

  public Set<String> keyIds() {
    return keys.keySet();
  }

  /** Seals {@code plaintext} with the active key, bound to {@code associatedData}. */
  public Sealed seal(byte[] plaintext, byte[] associatedData) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = CIPHERS.get();
      cipher.init(Cipher.ENCRYPT_MODE, keys.get(activeKeyId), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(associatedData);
      byte[] body = cipher.doFinal(plaintext);
      byte[] blob = new byte[NONCE_BYTES + body.length];
      System.arraycopy(nonce, 0, blob, 0, NONCE_BYTES);
      System.arraycopy(body, 0, blob, NONCE_BYTES, body.length);
      return new Sealed(activeKeyId, blob);
    } catch (GeneralSecurityException e) {
      // AES-GCM is mandatory in every JDK: failing here is a broken runtime, not bad input.
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** Seals a UTF-8 string. */
  public Sealed sealString(String plaintext, String associatedData) {
    return seal(plaintext.getBytes(StandardCharsets.UTF_8), associatedData.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Opens a value sealed by this vault (with the active key or an older one).
   *
   * @throws KeyVaultException when the key id is unknown or the value or its associated data were
   *     changed
   */
  public byte[] open(Sealed sealed, byte[] associatedData) {
    SecretKey key = keys.get(sealed.keyId());
    if (key == null) {
      throw new KeyVaultException("no vault key with id '" + sealed.keyId() + "'");
    }
    byte[] blob = sealed.ciphertext();
    if (blob.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new KeyVaultException("sealed value too short to be AES-GCM output (key id '" + sealed.keyId() + "')");
    }
    try {
      Cipher cipher = CIPHERS.get();
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, blob, 0, NONCE_BYTES));
      cipher.updateAAD(associatedData);
      return cipher.doFinal(blob, NONCE_BYTES, blob.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new KeyVaultException("sealed value failed authentication (key id '" + sealed.keyId() + "')");
    } catch (GeneralSecurityException e) {
      throw new KeyVaultException("sealed value could not be opened (key id '" + sealed.keyId() + "')", e);
    }
  }

  /** Opens a UTF-8 string sealed with {@link #sealString}. */
  public String openString(Sealed sealed, String associatedData) {
    return new String(open(sealed, associatedData.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
  }

  /** True when {@code sealed} was sealed with a key other than the active one (re-seal it). */
  public boolean needsResealing(Sealed sealed) {
    return !activeKeyId.equals(sealed.keyId());
  }

  /** A fresh random 32-byte master key. */
  public static byte[] newKey() {
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return key;
  }

  @Override
  public String toString() {
    return "KeyVault[active=" + activeKeyId + ", keys=" + keys.keySet() + "]";
  }

  /**
   * A sealed value: the id of the master key and the blob, as stored in two columns.
   *
   * @param keyId the master key that sealed the value
   * @param ciphertext nonce, ciphertext and tag
   */
  public record Sealed(String keyId, byte[] ciphertext) {
    public Sealed {
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(ciphertext, "ciphertext");
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Sealed that && keyId.equals(that.keyId) && Arrays.equals(ciphertext, that.ciphertext);
    }

    @Override
    public int hashCode() {
      return 31 * keyId.hashCode() + Arrays.hashCode(ciphertext);
    }

    @Override
    public String toString() {
      return "Sealed[keyId=" + keyId + ", " + ciphertext.length + " bytes]";
    }
  }
}
