package io.keyhold.gateway.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's database: where it is (a configured URL, or an embedded server under the data
 * folder), its schema (migrated at start-up), and the one connection {@link Pool} every store uses.
 *
 * <p>Open it with {@link #prepare} (blocking: embedded start-up and migrations) and then
 * {@link #connect} (non-blocking). The pool is bounded on both sides: {@code maxSize} connections,
 * and at most {@code maxWaitQueue} queries waiting for one; past that a query fails at once with
 * {@code io.vertx.core.http.ConnectionPoolTooBusyException}, which the HTTP layer answers as 503
 * {@code overloaded} with {@code Retry-After}. A location naming several hosts (a primary and its standbys) sends
 * every new connection of every pool to the one that takes writes ({@link WritableHost}), so the pools follow a
 * failover by themselves.
 */
public final class Database {
  public static final String POOL_NAME = "keyhold-pg";
  /**
   * The order engine's own pool (sweeper, outbox, the effects they run): however many buyers and shops
   * wait for the API pool, delivering keys, refunding and releasing never queue behind them.
   */
  public static final String ENGINE_POOL_NAME = "keyhold-pg-engine";
  public static final int ENGINE_POOL_SIZE = 4;
  /** The engine works in bounded batches (sweep and outbox batch limits), so its queue stays short. */
  public static final int ENGINE_POOL_WAIT_QUEUE_MAX = 1_024;
  /**
   * One connection for this instance's heartbeat alone: at peak, when both other pools have queues, a beat
   * waiting behind them would make a busy instance look dead to the others.
   */
  public static final String LIVENESS_POOL_NAME = "keyhold-pg-liveness";
  public static final int LIVENESS_POOL_WAIT_QUEUE_MAX = 4;
  /**
   * How long a start waits for another instance's schema migration to end before it gives up (and its supervisor
   * starts it again). A migration that builds an index concurrently takes minutes on a big table, and a start
   * stopped while it builds begins the build again, so a supervisor must allow a start at least this long.
   */
  public static final Duration MIGRATION_WAIT_MAX = Duration.ofMinutes(10);

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final DatabaseLocation location;
  private final EmbeddedPostgresServer embedded;
  private Pool pool;
  private Pool enginePool;
  private Pool livenessPool;
  private WritableHost writableHost;

  private Database(DatabaseLocation location, EmbeddedPostgresServer embedded) {
    this.location = location;
    this.embedded = embedded;
  }

  /**
   * Finds the database ({@code url} when not null, else an embedded server over {@code embeddedDir})
   * and migrates it. Blocking.
   */
  public static Database prepare(String url, Path embeddedDir) throws IOException {
    EmbeddedPostgresServer embedded = null;
    DatabaseLocation location;
    if (url != null) {
      location = DatabaseLocation.parse(url);
    } else {
      embedded = EmbeddedPostgresServer.start(embeddedDir);
      location = embedded.location();
    }
    try {
      Migrations.apply(location);
    } catch (RuntimeException e) {
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
    return new Database(location, embedded);
  }

  /**
   * Builds the API pool (one per event loop, {@link EventLoopPools}: a request's statements run on its own loop) and
   * the engine's pool (its connections spread over {@code eventLoops} event loops); call once, after
   * {@link #prepare}. Answers the API pool.
   */
  public Pool connect(Vertx vertx, int maxSize, int maxWaitQueue, int eventLoops) {
    if (pool != null) {
      throw new IllegalStateException("the database pool is already built");
    }
    // One for the three pools: what one found out about the hosts, the others start from.
    writableHost = location.several() ? new WritableHost(vertx, location) : null;
    pool = EventLoopPools.build(POOL_NAME, maxSize, maxWaitQueue, eventLoops, options -> build(vertx, options));
    enginePool = build(vertx, poolOptions(ENGINE_POOL_NAME, ENGINE_POOL_SIZE, ENGINE_POOL_WAIT_QUEUE_MAX, eventLoops));
    livenessPool = build(vertx, poolOptions(LIVENESS_POOL_NAME, 1, LIVENESS_POOL_WAIT_QUEUE_MAX, 1));
    LOG.info("database pools: API {} connections at most, {} waiting at most, shared by {} event loops; engine {}"
        + " connections; to {}", maxSize, maxWaitQueue, eventLoops, ENGINE_POOL_SIZE, location);
    return pool;
  }

  private Pool build(Vertx vertx, PoolOptions options) {
    if (writableHost == null) {
      return PgBuilder.pool().with(options).connectingTo(location.connectOptions()).using(vertx).build();
    }
    // Several hosts: every new connection goes to the one that takes writes, asked anew each time.
    return PgBuilder.pool().with(WritableHost.withLifetime(options, WritableHost.CONNECTION_LIFETIME_MS))
        .connectingTo(writableHost).using(vertx).build();
  }

  /**
   * The options of the gateway's pools. A pool used from one loop for all of them (the engine's) sends each new
   * connection to the next of {@code eventLoops} event loops, round robin: left to itself ({@code eventLoops} 0, as
   * each of {@link EventLoopPools} is) a pool opens a connection on the event loop of whoever asked, so the
   * connections would bunch on the engine's loop and it would carry the I/O of all of them.
   */
  static PoolOptions poolOptions(String name, int maxSize, int maxWaitQueue, int eventLoops) {
    return new PoolOptions().setMaxSize(maxSize).setMaxWaitQueueSize(maxWaitQueue).setName(name).setShared(false)
        .setEventLoopSize(eventLoops);
  }

  public Pool pool() {
    if (pool == null) {
      throw new IllegalStateException("the database pool is not built yet");
    }
    return pool;
  }

  /** The order engine's pool; see {@link #ENGINE_POOL_NAME}. */
  public Pool enginePool() {
    if (enginePool == null) {
      throw new IllegalStateException("the database pools are not built yet");
    }
    return enginePool;
  }

  /** This instance's heartbeat connection; see {@link #LIVENESS_POOL_NAME}. */
  public Pool livenessPool() {
    if (livenessPool == null) {
      throw new IllegalStateException("the database pools are not built yet");
    }
    return livenessPool;
  }

  public DatabaseLocation location() {
    return location;
  }

  public boolean embedded() {
    return embedded != null;
  }

  /** Closes the pool, then stops the embedded server if this database started one. */
  public Future<Void> close(Vertx vertx) {
    Future<Void> closed = pool == null ? Future.succeededFuture()
        : Future.join(pool.close(), enginePool.close(), livenessPool.close()).mapEmpty();
    return closed.transform(ignored -> embedded == null
        ? Future.<Void>succeededFuture()
        : vertx.executeBlocking(() -> {
          embedded.close();
          return null;
        }));
  }
}
