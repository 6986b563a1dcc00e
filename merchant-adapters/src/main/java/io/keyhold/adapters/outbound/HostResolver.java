package io.keyhold.adapters.outbound;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Finds the addresses of a host name. It blocks, so {@link OutboundRules} calls it on a worker
 * thread, never on an event loop.
 */
@FunctionalInterface
public interface HostResolver {

  /** The operating system's resolver ({@link InetAddress#getAllByName}), with the JVM's cache. */
  HostResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

  /** Every address of {@code host}; an {@link UnknownHostException} when it has none. */
  List<InetAddress> resolve(String host) throws UnknownHostException;
}
