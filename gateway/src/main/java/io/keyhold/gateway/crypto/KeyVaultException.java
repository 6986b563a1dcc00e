package io.keyhold.gateway.crypto;

/**
 * A sealed value could not be opened: unknown key id, or the ciphertext or its associated data was
 * changed. The message names the key id at most, never any content.
 */
public final class KeyVaultException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KeyVaultException(String message) {
    super(message);
  }

  public KeyVaultException(String message, Throwable cause) {
    super(message, cause);
  }
}
