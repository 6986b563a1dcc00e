package io.keyhold.gateway.store;

import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where the PostgreSQL database is: host, port, database, user and password.
 *
 * <p>Parsed from {@code postgres://user:password@host:port/db}, {@code postgresql://...} or
 * {@code jdbc:postgresql://host:port/db?user=...&password=...}. {@link #toString()} hides the
 * password, so a location can be logged.
 */
public final class DatabaseLocation {
  public static final int DEFAULT_PORT = 5432;

  private final String host;
  private final int port;
  private final String database;
  private final String user;
  private final String password;

  public DatabaseLocation(String host, int port, String database, String user, String password) {
    this.host = Objects.requireNonNull(host, "host");
    Range.check("port", port, 1, 65535);
    this.port = port;
    this.database = Objects.requireNonNull(database, "database");
    this.user = Objects.requireNonNull(user, "user");
    this.password = password == null ? "" : password;
  }

  /** Parses a URL in one of the forms of the class comment. */
  public static DatabaseLocation parse(String url) {
    Objects.requireNonNull(url, "url");
    String plain = url.startsWith("jdbc:") ? url.substring("jdbc:".length()) : url;
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
    String user = query.get("user");
    String password = query.get("password");
    if (uri.getRawUserInfo() != null) {
      String[] info = uri.getRawUserInfo().split(":", 2);
      user = decode(info[0]);
      password = info.length > 1 ? decode(info[1]) : password;
    }
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    String database = path.isEmpty() ? (user == null ? "postgres" : user) : path;
    return new DatabaseLocation(
        uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), database, user == null ? "postgres" : user,
        password);
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

  /** The same server, another database (tests create one per class). */
  public DatabaseLocation withDatabase(String otherDatabase) {
    return new DatabaseLocation(host, port, otherDatabase, user, password);
  }

  /** The JDBC URL without credentials (they go separately to the driver). */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /** The libpq-style URL, with credentials: never log it. */
  public String url() {
    return "postgres://" + URLEncoder.encode(user, StandardCharsets.UTF_8) + ":"
        + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@" + host + ":" + port + "/" + database;
  }

  /** Connect options for vertx-pg-client, with prepared statements cached per connection. */
  public PgConnectOptions connectOptions() {
    return new PgConnectOptions()
        .setHost(host)
        .setPort(port)
        .setDatabase(database)
        .setUser(user)
        .setPassword(password)
        .setCachePreparedStatements(true);
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
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
    return "postgres://" + user + "@" + host + ":" + port + "/" + database;
  }
}
