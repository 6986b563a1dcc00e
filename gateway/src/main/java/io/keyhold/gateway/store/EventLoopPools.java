package io.keyhold.gateway.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A pool of one pool per event loop, used as one: a statement asked for on an event loop runs on a connection of
 * that loop, so its rows are read and its answer handled on the thread that asked, with no hop to another loop and
 * back (a hop wakes the other loop, and the answer then waits for a turn on each). Each loop's pool has its share of
 * the connections and of the wait queue, and opens its connections on the loop that asks it (a pool left to itself
 * opens them on the asker's loop). A caller on no event loop (start-up, a worker, a test) takes the pools in turn;
 * a connection such a caller opens lives on whichever loop Vert.x gives it, which costs hops, never correctness.
 */
final class EventLoopPools implements Pool {
  private final List<Pool> pools;
  /** Each event loop's thread and its pool: as many entries as loops, at most. */
  private final Map<Thread, Pool> byLoop = new ConcurrentHashMap<>();
  private final AtomicInteger loopsSeen = new AtomicInteger();
  private final AtomicInteger turn = new AtomicInteger();

  private EventLoopPools(List<Pool> pools) {
    this.pools = List.copyOf(pools);
  }

  /**
   * Builds {@code eventLoops} pools with {@code build}, sharing {@code maxSize} connections and {@code maxWaitQueue}
   * waiting queries between them (at least one of each per loop).
   */
  static Pool build(String name, int maxSize, int maxWaitQueue, int eventLoops, Function<PoolOptions, Pool> build) {
    if (eventLoops < 1) {
      throw new IllegalArgumentException("eventLoops must be at least 1, but was " + eventLoops);
    }
    List<Pool> pools = new ArrayList<>(eventLoops);
    for (int loop = 0; loop < eventLoops; loop++) {
      // No fixed loops of its own (0): a loop's pool opens its connections on the loop that asks it.
      pools.add(build.apply(Database.poolOptions(name + "-" + loop, share(maxSize, eventLoops, loop),
          share(maxWaitQueue, eventLoops, loop), 0)));
    }
    return new EventLoopPools(pools);
  }

  /** Part {@code index} of {@code total} shared by {@code parts} as evenly as can be; at least 1. */
  static int share(int total, int parts, int index) {
    assert index >= 0 && index < parts : "part " + index + " of " + parts;
    return Math.max(1, total / parts + (index < total % parts ? 1 : 0));
  }

  private Pool here() {
    if (!Context.isOnEventLoopThread()) {
      return pools.get(Math.floorMod(turn.getAndIncrement(), pools.size()));
    }
    return byLoop.computeIfAbsent(Thread.currentThread(),
        loop -> pools.get(Math.floorMod(loopsSeen.getAndIncrement(), pools.size())));
  }

  @Override
  public Future<SqlConnection> getConnection() {
    return here().getConnection();
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return here().query(sql);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return here().preparedQuery(sql);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
    return here().preparedQuery(sql, options);
  }

  @Override
  public int size() {
    return pools.stream().mapToInt(Pool::size).sum();
  }

  @Override
  public Future<Void> close() {
    return Future.join(pools.stream().map(Pool::close).toList()).mapEmpty();
  }
}
