package io.keyhold.adapters.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which URLs Keyhold may send a request to when a merchant chose the URL. By default only
 * {@code https} URLs whose host resolves, every address of it, to public addresses; the operator's
 * allow-list opens named hosts (exact host names or IP literals, as written in URLs), towards which
 * plain {@code http} and any address are accepted — a test machine's {@code 127.0.0.1}, a shop on the
 * operator's own network. A card key never travels over plain HTTP to a host not allow-listed.
 *
 * <p>{@link #destination} is the check: it resolves the host once, checks every address, and answers
 * the address to connect to; {@link #request} builds the request connected to exactly that address
 * (while TLS still verifies the URL's host name), so what was checked is what is reached, even when
 * the name resolves elsewhere a moment later. Names are looked up on Vert.x's worker pool; how many
 * at once is bounded by the callers (API requests in flight, the outbox's concurrency, each merchant's
 * bulkhead). Immutable and thread-safe.
 */
public final class OutboundRules {

  /** Hosts an allow-list may name; it is for a few test or in-house hosts, not a routing table. */
  public static final int ALLOWED_HOSTS_MAX = 64;
  /** A host name or an IPv4 literal; an IPv6 literal is told by its colons and parsed. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9.-]{1,253}");
  private static final Pattern IPV4_LITERAL = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final int HTTPS_PORT = 443;
  private static final int HTTP_PORT = 80;
  private static final String NOT_PUBLIC = "must point to a host whose addresses are all public"
      + " (not loopback, private, link-local, multicast or reserved), or to a host on the operator's allow-list";
  private static final String NOT_HTTPS = "must use https (plain http only to a host on the operator's allow-list)";
  private static final OutboundRules PUBLIC_HTTPS_ONLY = new OutboundRules(Set.of(), HostResolver.SYSTEM);

  /**
   * Address blocks that are not public (IANA special-purpose registries, RFC 6890 and successors):
   * a request there would reach the gateway's own machine or network, or nothing meaningful.
   */
  private static final List<Block> NOT_PUBLIC_BLOCKS = List.of(
      Block.of("0.0.0.0", 8),           // "this" network
      Block.of("10.0.0.0", 8),          // private
      Block.of("100.64.0.0", 10),       // carrier-grade NAT (and some clouds' metadata, 100.100.100.200)
      Block.of("127.0.0.0", 8),         // loopback
      Block.of("169.254.0.0", 16),      // link-local (cloud metadata, 169.254.169.254)
      Block.of("172.16.0.0", 12),       // private
      Block.of("192.0.0.0", 24),        // IETF protocol assignments
      Block.of("192.0.2.0", 24),        // documentation
      Block.of("192.88.99.0", 24),      // 6to4 relay anycast
      Block.of("192.168.0.0", 16),      // private
      Block.of("198.18.0.0", 15),       // benchmarking
      Block.of("198.51.100.0", 24),     // documentation
      Block.of("203.0.113.0", 24),      // documentation
      Block.of("224.0.0.0", 4),         // multicast
      Block.of("240.0.0.0", 4),         // reserved, and broadcast
      // IPv4-mapped IPv6 (::ffff:0:0/96) needs no block: the JDK answers those as the IPv4 address they map.
      Block.of("::", 96),               // unspecified, loopback, IPv4-compatible
      Block.of("64:ff9b::", 96),        // NAT64: would reach any IPv4 address behind the translator
      Block.of("64:ff9b:1::", 48),      // local NAT64
      Block.of("100::", 64),            // discard
      Block.of("2001::", 23),           // IETF protocol assignments (Teredo among them)
      Block.of("2001:db8::", 32),       // documentation
      Block.of("2002::", 16),           // 6to4: embeds any IPv4 address
      Block.of("fc00::", 7),            // unique local (cloud metadata, fd00:ec2::254)
      Block.of("fe80::", 10),           // link-local
      Block.of("fec0::", 10),           // site-local (deprecated)
      Block.of("ff00::", 8));           // multicast

  private final Set<String> allowedHosts;
  private final HostResolver resolver;

  private OutboundRules(Set<String> allowedHosts, HostResolver resolver) {
    this.allowedHosts = allowedHosts;
    this.resolver = resolver;
  }

  /** No allow-list: {@code https} towards public addresses only. */
  public static OutboundRules publicHttpsOnly() {
    return PUBLIC_HTTPS_ONLY;
  }

  /**
   * Public {@code https}, plus these hosts with any scheme and address. Each is a host name or an IP
   * literal, compared case-insensitively with the host as written in a URL ({@code localhost} does not
   * open {@code 127.0.0.1}, nor the other way round).
   */
  public static OutboundRules allowing(Collection<String> hosts) {
    Objects.requireNonNull(hosts, "hosts");
    if (hosts.size() > ALLOWED_HOSTS_MAX) {
      throw new IllegalArgumentException("the outbound allow-list may name at most " + ALLOWED_HOSTS_MAX
          + " hosts, but names " + hosts.size());
    }
    Set<String> normalized = new TreeSet<>();
    for (String host : hosts) {
      if (host == null || !isHostEntry(host)) {
        throw new IllegalArgumentException("an outbound allow-list entry must be a host name or an IP literal"
            + " (no scheme, port or path), but was '" + host + "'");
      }
      normalized.add(normalize(host));
    }
    return new OutboundRules(Set.copyOf(normalized), HostResolver.SYSTEM);
  }

  /** The same rules, resolving names with {@code resolver} (a test's stand-in for a hostile DNS). */
  public OutboundRules withResolver(HostResolver resolver) {
    return new OutboundRules(allowedHosts, Objects.requireNonNull(resolver, "resolver"));
  }

  /** The allow-listed hosts, normalized (lower case, IPv6 without brackets). */
  public Set<String> allowedHosts() {
    return allowedHosts;
  }

  /** Whether the URL's host is on the allow-list. */
  public boolean allowListed(URI uri) {
    return uri.getHost() != null && allowedHosts.contains(normalize(uri.getHost()));
  }

  /**
   * Why the URL is refused by what it says alone (its scheme, an IP literal as its host), or empty
   * when only resolving its host can tell. {@code uri} must be absolute with a host.
   */
  public Optional<String> refusal(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
      return Optional.of("must be an absolute http(s) URL with a host");
    }
    if (allowListed(uri)) {
      return Optional.empty();
    }
    if (!scheme.equals("https")) {
      return Optional.of(NOT_HTTPS);
    }
    InetAddress literal = literal(uri.getHost());
    if (literal != null && !isPublic(literal)) {
      return Optional.of(NOT_PUBLIC);
    }
    return Optional.empty();
  }

  /**
   * Checks the URL completely and answers where to connect: the host resolved once (on a worker
   * thread), every address public unless the host is allow-listed, and the first address. Fails with
   * {@link UrlNotAllowedException} when refused, also when the host does not resolve.
   */
  public Future<InetSocketAddress> destination(Vertx vertx, URI uri) {
    Optional<String> refusal = refusal(uri);
    if (refusal.isPresent()) {
      return Future.failedFuture(new UrlNotAllowedException(refusal.get()));
    }
    String host = uri.getHost();
    int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? HTTPS_PORT : HTTP_PORT;
    boolean allowListed = allowListed(uri);
    InetAddress literal = literal(host);
    Future<List<InetAddress>> addresses = literal != null
        ? Future.succeededFuture(List.of(literal))
        : vertx.executeBlocking(() -> resolve(normalize(host)), false);
    return addresses.compose(found -> {
      if (found.isEmpty() || (!allowListed && !found.stream().allMatch(OutboundRules::isPublic))) {
        return Future.failedFuture(new UrlNotAllowedException(NOT_PUBLIC));
      }
      return Future.succeededFuture(new InetSocketAddress(withoutName(found.get(0)), port));
    });
  }

  /**
   * A request to {@code url} through {@code client}, connected to the address {@link #destination}
   * checked; the URL's host still goes in the {@code Host} header, TLS SNI and certificate check. The
   * client must not follow redirects (a redirect would leave these rules behind).
   */
  public Future<HttpRequest<Buffer>> request(Vertx vertx, WebClient client, HttpMethod method, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Future.failedFuture(new UrlNotAllowedException("must be a URL"));
    }
    return destination(vertx, uri)
        .map(address -> client.requestAbs(method, SocketAddress.inetSocketAddress(address), url));
  }

  /** Whether {@code address} is a public unicast address, outside every block this class refuses. */
  public static boolean isPublic(InetAddress address) {
    byte[] bytes = address.getAddress();
    for (Block block : NOT_PUBLIC_BLOCKS) {
      if (block.contains(bytes)) {
        return false;
      }
    }
    return true;
  }

  private List<InetAddress> resolve(String host) {
    try {
      return List.copyOf(resolver.resolve(host));
    } catch (UnknownHostException e) {
      return List.of();
    }
  }

  /** The address as bytes only, so nothing downstream can look the name up again. */
  private static InetAddress withoutName(InetAddress address) {
    try {
      return InetAddress.getByAddress(address.getAddress());
    } catch (UnknownHostException e) {
      // getByAddress fails only on a byte array of the wrong length, which getAddress never returns.
      throw new IllegalStateException(e);
    }
  }

  /** The address of an IP literal host, without any lookup; null for a name. */
  private static InetAddress literal(String host) {
    String bare = normalize(host);
    boolean ipv6 = bare.contains(":");
    if (!ipv6 && !IPV4_LITERAL.matcher(bare).matches()) {
      return null;
    }
    try {
      // A literal (checked above) is parsed, never looked up.
      return InetAddress.getByName(bare);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static boolean isHostEntry(String host) {
    if (NAME.matcher(host).matches()) {
      return true;
    }
    String bare = normalize(host);
    // With a colon the JDK parses an IPv6 literal and never looks it up; "host:port" fails the parse.
    return bare.contains(":") && literal(bare) != null;
  }

  private static String normalize(String host) {
    String lower = host.toLowerCase(Locale.ROOT);
    return lower.startsWith("[") && lower.endsWith("]") ? lower.substring(1, lower.length() - 1) : lower;
  }

  @Override
  public String toString() {
    return "OutboundRules[public https, allowed hosts=" + allowedHosts + "]";
  }

  /** One address block: a prefix and its length in bits. */
  private record Block(byte[] prefix, int bits) {
    static Block of(String address, int bits) {
      try {
        return new Block(InetAddress.getByName(address).getAddress(), bits);
      } catch (UnknownHostException e) {
        throw new IllegalStateException("bad block " + address, e);
      }
    }

    boolean contains(byte[] address) {
      if (address.length != prefix.length) {
        return false;
      }
      int whole = bits / 8;
      for (int i = 0; i < whole; i++) {
        if (address[i] != prefix[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[whole] & mask) == (prefix[whole] & mask);
    }
  }
}
