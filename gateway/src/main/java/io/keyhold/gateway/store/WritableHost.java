package io.keyhold.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each new pool connection goes when the database location names several hosts (a primary and its
 * standbys, as under pg_auto_failover): to the one that takes writes. The hosts are asked in order, starting with
 * the last one found taking writes, each on a short connection of its own ({@value #READ_ONLY_QUERY}, what libpq's
 * {@code target_session_attrs=read-write} asks); the first that answers "off" is the one. When none does (a
 * failover under way: the old primary gone, the new one not promoted yet) the connection fails with
 * {@link NoWritableHostException}, which {@link DatabaseOutage} takes for an outage: 503
 * {@code database_unavailable}, and the pools try again on their next connection.
 *
 * <p>A PostgreSQL server does not turn from primary into standby without a restart, which closes every connection
 * to it (pg_auto_failover stops the old primary, rewinds it and starts it again as a standby). A server made
 * read-only while it runs ({@code default_transaction_read_only}) keeps them, though: every pooled connection is
 * therefore replaced after {@link #CONNECTION_LIFETIME_MS} ({@link #withLifetime}), asking anew, and until then a
 * write it refuses (SQLSTATE 25006) is an outage too, answered 503.
 *
 * <p>One ask at a time: connections wanted while it runs (a pool filling up after a failover) take its answer
 * instead of asking every host again. Safe to call from every event loop at once.
 */
final class WritableHost implements Supplier<Future<SqlConnectOptions>> {
  static final String READ_ONLY_QUERY = "SHOW transaction_read_only";
  /** One host's answer, at most; past it the host is passed over (a host that black-holes packets). */
  static final long ASK_TIMEOUT_MS = 2_000;
  /**
   * How long a pooled connection lives with several hosts: a bound on the time spent on a server that stopped
   * taking writes without a restart. Each of an instance's few dozen connections is opened again this often, with
   * one more short connection to ask: well under one a second.
   */
  static final int CONNECTION_LIFETIME_MS = 30_000;

  private static final Logger LOG = LoggerFactory.getLogger(WritableHost.class);

  private final Vertx vertx;
  private final DatabaseLocation location;
  private final List<DatabaseLocation.Host> hosts;
  /** The host found taking writes last, where the next ask starts; -1 before the first answer. */
  private final AtomicInteger lastWritable = new AtomicInteger(-1);
  private final AtomicReference<Future<SqlConnectOptions>> asking = new AtomicReference<>();

  WritableHost(Vertx vertx, DatabaseLocation location) {
    this.vertx = vertx;
    this.location = location;
    this.hosts = location.hosts();
  }

  /** {@code options} with each connection retired once it is older than {@code lifetimeMs} and idle. */
  static PoolOptions withLifetime(PoolOptions options, int lifetimeMs) {
    return options.setMaxLifetime(lifetimeMs).setMaxLifetimeUnit(TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<SqlConnectOptions> get() {
    while (true) {
      Future<SqlConnectOptions> current = asking.get();
      if (current != null && !current.isComplete()) {
        return current;
      }
      Promise<SqlConnectOptions> answer = Promise.promise();
      if (asking.compareAndSet(current, answer.future())) {
        int start = Math.max(0, lastWritable.get());
        ask(start, 0, new ArrayList<>()).onComplete(answer);
        return answer.future();
      }
    }
  }

  /** Asks the {@code tried}-th host after {@code start}; {@code passedOver} says why the ones before were not it. */
  private Future<SqlConnectOptions> ask(int start, int tried, List<String> passedOver) {
    if (tried == hosts.size()) {
      return Future.failedFuture(new NoWritableHostException("no database host takes writes: "
          + String.join("; ", passedOver)));
    }
    int index = (start + tried) % hosts.size();
    DatabaseLocation.Host host = hosts.get(index);
    return writable(host).transform(asked -> {
      if (asked.succeeded() && asked.result()) {
        int before = lastWritable.getAndSet(index);
        if (before != index) {
          LOG.info("database: {} takes writes{}; new connections go there", host,
              before < 0 ? "" : " now (it was " + hosts.get(before) + ")");
        }
        return Future.succeededFuture(location.connectOptions(host));
      }
      passedOver.add(host + (asked.succeeded() ? " is read-only"
          : " could not be asked (" + asked.cause().getClass().getSimpleName() + ": " + asked.cause().getMessage() + ")"));
      return ask(start, tried + 1, passedOver);
    });
  }

  /** Whether {@code host} takes writes now, asked on a connection of its own that is closed afterwards. */
  private Future<Boolean> writable(DatabaseLocation.Host host) {
    return PgConnection.connect(vertx, location.connectOptions(host))
        .compose(connection -> connection.query(READ_ONLY_QUERY).execute()
            .map(rows -> "off".equals(rows.iterator().next().getString(0)))
            .eventually(connection::close))
        .timeout(ASK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }
}
