package io.keyhold.gateway.store;

import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the PostgreSQL database is: one host and port, or several (a primary and its standbys), the database,
 * user and password.
 *
 * <p>Parsed from {@code postgres://user:password@host:port/db}, {@code postgresql://...} or
 * {@code jdbc:postgresql://host:port/db?user=...&password=...}. Several hosts are written as libpq writes them,
 * {@code postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write} (what {@code pg_autoctl show uri}
 * prints): then the gateway connects only to the one that takes writes ({@link WritableHost}). Since the gateway
 * writes, {@code target_session_attrs} may only be {@code read-write} or {@code primary}, or left out.
 * {@link #toString()} hides the password, so a location can be logged.
 */
public final class DatabaseLocation {
  public static final int DEFAULT_PORT = 5432;
  /** Hosts in one URL, at most: each new connection may ask every one of them in turn. */
  public static final int HOSTS_MAX = 8;
  static final String TARGET_SESSION_ATTRS = "target_session_attrs";
  /** libpq's values that mean "a server that takes writes"; any other would let the gateway land on a standby. */
  static final Set<String> WRITABLE_TARGETS = Set.of("read-write", "primary");
  /**
   * The longest statement text a connection keeps prepared. The client's default (2,048 characters) left out the
   * statements that matter most, an order's change and a checkout (one statement each, about 2,300 characters):
   * PostgreSQL parsed and planned them again at every call.
   */
  public static final int PREPARED_SQL_CHARS_MAX = 16_384;
  /**
   * How PostgreSQL plans the gateway's prepared statements: once per connection, without the values. Left to its own
   * choice it planned the batched reads and answers (an array of ids as the parameter) again at every call, as it
   * guesses a generic plan for 100 array elements, dearer than a custom one for the few that come: in the flash sale
   * that was ~8 % of PostgreSQL's CPU, more than those statements' own execution. The statements on the hot path find
   * their rows by key, so the plan made without the values is the one the values would get. A statement whose rows
   * are a range only its values can size says so in its transaction ({@link #PLAN_WITH_VALUES}).
   */
  static final String PLAN_CACHE_MODE = "force_generic_plan";
  /**
   * Run first in a transaction whose statements are planned with their values (custom plans) until it ends: for a
   * claim of due rows, whose plan made without the values guesses a third of the table due. The sweeper's claim so
   * guessed read every payment for each sweep (20 ms at 230,000 payments, against 0.4 planned with the values).
   */
  public static final String PLAN_WITH_VALUES = "SET LOCAL plan_cache_mode = force_custom_plan";

  /** One server of the location. */
  public record Host(String name, int port) {
    public Host {
      Objects.requireNonNull(name, "host");
      Range.check("port", port, 1, 65535);
    }

    @Override
    public String toString() {
      return (name.contains(":") ? "[" + name + "]" : name) + ":" + port;
    }
  }

  private final List<Host> hosts;
  private final String database;
  private final String user;
  private final String password;

  public DatabaseLocation(String host, int port, String database, String user, String password) {
    this(List.of(new Host(host, port)), database, user, password);
  }

  /** A location on {@code hosts}, tried in this order for the one that takes writes when there are several. */
  public DatabaseLocation(List<Host> hosts, String database, String user, String password) {
    if (hosts.isEmpty() || hosts.size() > HOSTS_MAX) {
      throw new IllegalArgumentException("a database location names 1 to " + HOSTS_MAX + " hosts, but named "
          + hosts.size());
    }
    this.hosts = List.copyOf(hosts);
    this.database = Objects.requireNonNull(database, "database");
    this.user = Objects.requireNonNull(user, "user");
    this.password = password == null ? "" : password;
  }

  /** Parses a URL in one of the forms of the class comment. */
  public static DatabaseLocation parse(String url) {
    Objects.requireNonNull(url, "url");
    String plain = url.startsWith("jdbc:") ? url.substring("jdbc:".length()) : url;
    // java.net.URI reads one host only: several are read here, and the URI parses the rest with the first.
    List<Host> listed = null;
    int authority = plain.indexOf("://");
    if (authority > 0) {
      int start = authority + 3;
      int end = start;
      while (end < plain.length() && "/?#".indexOf(plain.charAt(end)) < 0) {
        end++;
      }
      int hostsStart = plain.lastIndexOf('@', end - 1) + 1;
      if (hostsStart <= start) {
        hostsStart = start;
      }
      String hostList = plain.substring(hostsStart, end);
      if (hostList.contains(",")) {
        listed = hosts(hostList);
        plain = plain.substring(0, hostsStart) + listed.get(0) + plain.substring(end);
      }
    }
    URI uri;
    try {
      uri = URI.create(plain);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("database URL is not a URI (expected postgres://user:password@host:port/db)");
    }
    if (!"postgres".equals(uri.getScheme()) && !"postgresql".equals(uri.getScheme())) {
      throw new IllegalArgumentException(
          "database URL must start with postgres://, postgresql:// or jdbc:postgresql://, but was scheme '"
              + uri.getScheme() + "'");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("database URL must name a host");
    }
    Map<String, String> query = query(uri.getRawQuery());
    String target = query.get(TARGET_SESSION_ATTRS);
    if (target != null && !WRITABLE_TARGETS.contains(target)) {
      throw new IllegalArgumentException("database URL's target_session_attrs must be read-write or primary (the"
          + " gateway writes), but was '" + target + "'");
    }
    String user = query.get("user");
    String password = query.get("password");
    if (uri.getRawUserInfo() != null) {
      String[] info = uri.getRawUserInfo().split(":", 2);
      user = decode(info[0]);
      password = info.length > 1 ? decode(info[1]) : password;
    }
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    String database = path.isEmpty() ? (user == null ? "postgres" : user) : path;
    List<Host> hosts = listed != null ? listed
        : List.of(new Host(uri.getHost().replaceAll("^\\[(.*)]$", "$1"),
            uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort()));
    return new DatabaseLocation(hosts, database, user == null ? "postgres" : user, password);
  }

  /** {@code h1:5432,h2,[::1]:5433}: each host with its port, or the default port. */
  private static List<Host> hosts(String list) {
    List<Host> hosts = new ArrayList<>();
    for (String one : list.split(",", -1)) {
      String name = one;
      int port = DEFAULT_PORT;
      int colon = one.lastIndexOf(':');
      if (colon >= 0 && one.indexOf(']') < colon) {
        name = one.substring(0, colon);
        try {
          port = Integer.parseInt(one.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("database URL's host '" + name + "' has a port that is not a number");
        }
      }
      if (name.startsWith("[") && name.endsWith("]")) {
        name = name.substring(1, name.length() - 1);
      }
      if (name.isEmpty()) {
        throw new IllegalArgumentException("database URL's host list has an empty host");
      }
      hosts.add(new Host(decode(name), port));
    }
    if (hosts.size() > HOSTS_MAX) {
      throw new IllegalArgumentException("database URL names " + hosts.size() + " hosts, at most " + HOSTS_MAX);
    }
    return hosts;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        String[] kv = pair.split("=", 2);
        params.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
      }
    }
    return params;
  }

  private static String decode(String value) {
    return URLDecoder.decode(value, StandardCharsets.UTF_8);
  }

  /** The same servers, another database (tests create one per class). */
  public DatabaseLocation withDatabase(String otherDatabase) {
    return new DatabaseLocation(hosts, otherDatabase, user, password);
  }

  /**
   * The JDBC URL without credentials (they go separately to the driver); with several hosts, the driver's
   * {@code targetServerType=primary} makes it connect only to the one that takes writes.
   */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + hostList() + "/" + database + (several() ? "?targetServerType=primary" : "");
  }

  /** The libpq-style URL, with credentials: never log it. */
  public String url() {
    return "postgres://" + URLEncoder.encode(user, StandardCharsets.UTF_8) + ":"
        + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@" + hostList() + "/" + database
        + (several() ? "?" + TARGET_SESSION_ATTRS + "=read-write" : "");
  }

  /** Connect options for vertx-pg-client to the first host, with prepared statements cached per connection. */
  public PgConnectOptions connectOptions() {
    return connectOptions(hosts.get(0));
  }

  /** Connect options for vertx-pg-client to {@code host}, with prepared statements cached per connection. */
  public PgConnectOptions connectOptions(Host host) {
    return new PgConnectOptions()
        .setHost(host.name())
        .setPort(host.port())
        .setDatabase(database)
        .setUser(user)
        .setPassword(password)
        .setCachePreparedStatements(true)
        .setPreparedStatementCacheSqlLimit(PREPARED_SQL_CHARS_MAX)
        .addProperty("plan_cache_mode", PLAN_CACHE_MODE);
  }

  /** Every host, in the order they are tried. */
  public List<Host> hosts() {
    return hosts;
  }

  /** Whether there are several hosts, of which the gateway must find the one that takes writes. */
  public boolean several() {
    return hosts.size() > 1;
  }

  /** The first host. */
  public String host() {
    return hosts.get(0).name();
  }

  /** The first host's port. */
  public int port() {
    return hosts.get(0).port();
  }

  public String database() {
    return database;
  }

  public String user() {
    return user;
  }

  public String password() {
    return password;
  }

  @Override
  public String toString() {
    return "postgres://" + user + "@" + hostList() + "/" + database;
  }

  private String hostList() {
    return hosts.stream().map(Host::toString).collect(Collectors.joining(","));
  }
}
