package io.keyhold.adapters.outbound;

/**
 * A URL the {@link OutboundRules} refuse: nothing was sent to it. The message says which rule, and
 * names no address the host resolved to (a merchant could otherwise map the operator's network).
 */
public final class UrlNotAllowedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** A refusal; {@code reason} completes the sentence "the URL ..." and holds no secret. */
  public UrlNotAllowedException(String reason) {
    super(reason);
  }

  /** What is wrong with the URL, completing the sentence "the URL ...". */
  public String reason() {
    return getMessage();
  }
}
