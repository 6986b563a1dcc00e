package io.keyhold.gateway.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * Signs evidence bundles with Ed25519 and verifies them.
 *
 * <p>The signing key is a 32-byte seed (RFC 8032 private key); the public key is derived from it,
 * so only the seed is stored. Anyone holding the public key ({@link #publicKeyBase64()}, X.509
 * SubjectPublicKeyInfo DER, base64) verifies a bundle with {@link #verify(byte[], byte[], byte[])}
 * or any Ed25519 library. Thread-safe.
 */
public final class EvidenceSigner {
  public static final int SEED_BYTES = 32;
  public static final int SIGNATURE_BYTES = 64;

  private static final String ALGORITHM = "Ed25519";

  private final PrivateKey privateKey;
  private final PublicKey publicKey;

  private EvidenceSigner(KeyPair pair) {
    this.privateKey = pair.getPrivate();
    this.publicKey = pair.getPublic();
  }

  /** The signer whose private key is {@code seed}. */
  public static EvidenceSigner fromSeed(byte[] seed) {
    if (seed.length != SEED_BYTES) {
      throw new IllegalArgumentException("Ed25519 seed must be " + SEED_BYTES + " bytes, but was " + seed.length);
    }
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
      // The JDK draws the RFC 8032 private key as 32 random bytes; feeding it the seed derives the
      // same key pair every time, which is how the public key is recovered from the stored seed.
      generator.initialize(255, new SeedRandom(seed));
      return new EvidenceSigner(generator.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable", e);
    }
  }

  /** A fresh random seed. */
  public static byte[] newSeed() {
    byte[] seed = new byte[SEED_BYTES];
    new SecureRandom().nextBytes(seed);
    return seed;
  }

  /** The 64-byte Ed25519 signature of {@code data}. */
  public byte[] sign(byte[] data) {
    try {
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initSign(privateKey);
      signature.update(data);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** True when {@code signature} is this signer's signature of {@code data}. */
  public boolean verify(byte[] data, byte[] signature) {
    return verify(publicKey, data, signature);
  }

  /** The public key as X.509 SubjectPublicKeyInfo DER. */
  public byte[] publicKeyX509() {
    return publicKey.getEncoded();
  }

  /** {@link #publicKeyX509()} in base64, as served to verifiers. */
  public String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(publicKeyX509());
  }

  /**
   * Verifies with a public key given as X.509 DER; false for a bad signature or a malformed key.
   */
  public static boolean verify(byte[] publicKeyX509, byte[] data, byte[] signature) {
    try {
      PublicKey key = KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(publicKeyX509));
      return verify(key, data, signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static boolean verify(PublicKey key, byte[] data, byte[] signature) {
    try {
      Signature verifier = Signature.getInstance(ALGORITHM);
      verifier.initVerify(key);
      verifier.update(data);
      return verifier.verify(signature);
    } catch (SignatureException | InvalidKeyException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "EvidenceSigner[Ed25519]";
  }

  /** Hands out the seed, then fails: key generation must consume exactly the seed. */
  private static final class SeedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] seed;
    private boolean used;

    SeedRandom(byte[] seed) {
      this.seed = seed.clone();
    }

    @Override
    public void nextBytes(byte[] bytes) {
      if (used || bytes.length != seed.length) {
        throw new IllegalStateException("Ed25519 key generation asked for unexpected randomness");
      }
      used = true;
      System.arraycopy(seed, 0, bytes, 0, seed.length);
      Arrays.fill(seed, (byte) 0);
    }
  }
}
