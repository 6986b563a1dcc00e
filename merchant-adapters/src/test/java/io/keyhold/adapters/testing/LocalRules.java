package io.keyhold.adapters.testing;

import io.keyhold.adapters.outbound.OutboundRules;
import java.util.Set;

/** The outbound rules of a test machine: the shops and issuers of the tests listen on 127.0.0.1. */
public final class LocalRules {
  /** Public https, plus plain http to the literal 127.0.0.1, as an operator's allow-list would say. */
  public static final OutboundRules LOOPBACK = OutboundRules.allowing(Set.of("127.0.0.1"));

  private LocalRules() {}
}
