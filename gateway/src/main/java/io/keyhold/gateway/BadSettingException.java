package io.keyhold.gateway;

/**
 * The gateway cannot start with a setting it was given (a secret too short or malformed, say). The
 * message names the setting and what is wrong with it, never its value, so it can be shown as it is.
 */
public final class BadSettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public BadSettingException(String message, Throwable cause) {
    super(message, cause);
  }
}
