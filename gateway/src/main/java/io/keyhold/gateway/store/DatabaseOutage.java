package io.keyhold.gateway.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a failure means "the database cannot be reached or is restarting", and the one record of the
 * outage under way: the answer to such a failure is 503 {@code database_unavailable}, never 500, since
 * the request may succeed once the database is back.
 *
 * <p>An outage is logged twice, not once per request: its first failure logs one WARN line with the cause
 * (class and message, no stack trace); every failure during it counts on {@value #METRIC}; once a query
 * succeeds again (a probe of {@code SELECT 1} every {@link #PROBE_INTERVAL_MS} ms, started by the first
 * failure) one INFO line says how long it lasted and how many requests were answered 503. Safe to call
 * from every event loop at once.
 *
 * <p>{@code Retry-After} ({@link #retryAfterSeconds()}): the seconds the outage has lasted so far, at
 * least {@link #RETRY_AFTER_SECONDS_MIN} and at most {@link #RETRY_AFTER_SECONDS_MAX}. An outage that has
 * lasted N seconds is as likely as not to last N more (a restart takes a few seconds, a failover or a
 * crash recovery longer), so clients come back later the longer it lasts instead of all at once every
 * second; never sooner than a restart takes, never later than half a minute after the database is back.
 */
public final class DatabaseOutage {
  /** Counter of requests answered 503 {@code database_unavailable}. */
  public static final String METRIC = "keyhold.database.unavailable";
  public static final int RETRY_AFTER_SECONDS_MIN = 2;
  public static final int RETRY_AFTER_SECONDS_MAX = 30;
  /** How often an outage asks the database whether it is back. */
  public static final long PROBE_INTERVAL_MS = 500;
  /** A probe that takes longer than this counts as failed; the next one asks again. */
  public static final long PROBE_TIMEOUT_MS = 2_000;
  /** Causes followed down a failure's chain, at most (a cycle must not loop). */
  static final int CAUSE_DEPTH_MAX = 8;
  /**
   * SQLSTATEs of a server that went away or is not there yet: admin_shutdown, crash_shutdown,
   * cannot_connect_now (starting up, shutting down, in recovery). Class 08 (connection exception) too. And
   * read_only_sql_transaction (25006): a write that met a server which no longer takes writes, an old primary
   * that came back as a standby after a failover; the retry goes to the new primary.
   */
  static final Set<String> OUTAGE_SQLSTATES = Set.of("57P01", "57P02", "57P03", "25006");
  static final String CONNECTION_EXCEPTION_CLASS = "08";
  /**
   * How the SQL client (its {@code SocketConnectionBase}) refuses a command on a connection it saw closed,
   * as a plain {@link VertxException}: a transaction's COMMIT after the server went away fails so. There is
   * no type to test; DatabaseOutageTest pins the message against a real stopped server.
   */
  static final String NOT_ACTIVE_MESSAGE = "Connection is not active now";

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseOutage.class);

  private final Vertx vertx;
  private final LongSupplier nanoTime;
  private final Supplier<Future<?>> probe;
  private final Counter unavailable;
  private final AtomicReference<Outage> current = new AtomicReference<>();
  private final AtomicBoolean probing = new AtomicBoolean();
  private final AtomicBoolean asking = new AtomicBoolean();

  /**
   * @param probe a query that succeeds once the database is back ({@code SELECT 1} on the API pool); null
   *     when nothing asks (tests of the router alone), then only a query through {@link #back} ends an outage
   */
  public DatabaseOutage(Vertx vertx, Supplier<Future<?>> probe, MeterRegistry meters) {
    this(vertx, probe, meters, System::nanoTime);
  }

  /** With {@code nanoTime} standing in for {@link System#nanoTime()} (tests move it). */
  DatabaseOutage(Vertx vertx, Supplier<Future<?>> probe, MeterRegistry meters, LongSupplier nanoTime) {
    this.vertx = vertx;
    this.nanoTime = nanoTime;
    this.probe = probe;
    this.unavailable = Counter.builder(METRIC)
        .description("Requests answered 503 database_unavailable: the database could not be reached or was restarting")
        .register(meters);
  }

  /**
   * Whether {@code failure} means the database cannot be reached or is restarting: a connection refused or
   * timed out while connecting, or reset, a connection the server closed or lost (also a command refused on it), or the
   * server saying it shuts down, crashed, is starting up (SQLSTATE 57P01, 57P02, 57P03) or dropped the
   * connection (class 08), a write refused by a server that is read-only now (25006), or no host of several
   * taking writes ({@link NoWritableHostException}: a failover under way).
   * A full pool ({@code ConnectionPoolTooBusyException}) is not an outage but load.
   *
   * <p>A connect failure counts only as the failure itself, not as the cause of another: the adapters wrap
   * a merchant shop's or a validator's connection failures in their own exceptions, which are no outage of
   * the database. The SQL client's own exceptions count wherever they sit in the chain.
   */
  private static final String BROKEN_PIPE_MESSAGE = "Broken pipe";

  public static boolean isOutage(Throwable failure) {
    // SocketException covers a refused connection (ConnectException) and one the server reset mid-read. On the native
    // transport a socket's call fails with a NativeIoException instead (a reset read: "recvAddress(..) failed with
    // error(-104): Connection reset by peer"), as SocketException on NIO.
    if (failure instanceof SocketException || failure instanceof Errors.NativeIoException
        || failure instanceof ConnectTimeoutException || failure instanceof ClosedChannelException) {
      return true;
    }
    // A write to a connection the stopping server closed: netty hands up the plain IOException "Broken pipe".
    if (failure instanceof IOException && failure.getMessage() != null
        && failure.getMessage().contains(BROKEN_PIPE_MESSAGE)) {
      return true;
    }
    Throwable cause = failure;
    for (int depth = 0; cause != null && depth < CAUSE_DEPTH_MAX; depth++, cause = cause.getCause()) {
      if (cause instanceof ClosedConnectionException || cause instanceof NoWritableHostException) {
        return true;
      }
      if (cause instanceof VertxException && cause.getMessage() != null
          && cause.getMessage().startsWith(NOT_ACTIVE_MESSAGE)) {
        return true;
      }
      if (cause instanceof PgException pg && pg.getSqlState() != null
          && (OUTAGE_SQLSTATES.contains(pg.getSqlState()) || pg.getSqlState().startsWith(CONNECTION_EXCEPTION_CLASS))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Records a request's failure: true when it is an outage of the database (see {@link #isOutage}), which
   * the caller then answers 503 {@code database_unavailable} with {@link #retryAfterSeconds()}. The first
   * failure of an outage logs its cause and starts asking the database whether it is back.
   */
  public boolean answered(Throwable failure) {
    if (!isOutage(failure)) {
      return false;
    }
    unavailable.increment();
    Outage fresh = new Outage(nanoTime.getAsLong());
    Outage outage = current.compareAndExchange(null, fresh);
    if (outage == null) {
      LOG.warn("database unavailable: {}: {}; answering 503 database_unavailable until it is back",
          failure.getClass().getName(), failure.getMessage());
      outage = fresh;
      startProbing();
    }
    outage.answered.incrementAndGet();
    return true;
  }

  /** Whether an outage is under way (its first failure seen, no query succeeded since). */
  public boolean underWay() {
    return current.get() != null;
  }

  /** The {@code Retry-After} of an answer now; see the class comment for the rule. */
  public int retryAfterSeconds() {
    Outage outage = current.get();
    long lastedSeconds = outage == null ? 0 : TimeUnit.NANOSECONDS.toSeconds(nanoTime.getAsLong() - outage.startNanos);
    return (int) Math.max(RETRY_AFTER_SECONDS_MIN, Math.min(RETRY_AFTER_SECONDS_MAX, lastedSeconds));
  }

  /** A query succeeded: ends the outage under way, if any, with one line saying how long it lasted. */
  public void back() {
    Outage outage = current.get();
    if (outage != null && current.compareAndSet(outage, null)) {
      LOG.info("database back after {} s, {} requests answered 503",
          TimeUnit.NANOSECONDS.toSeconds(nanoTime.getAsLong() - outage.startNanos), outage.answered.get());
    }
  }

  private void startProbing() {
    if (probe == null || !probing.compareAndSet(false, true)) {
      return;
    }
    vertx.setPeriodic(PROBE_INTERVAL_MS, PROBE_INTERVAL_MS, timer -> {
      if (current.get() == null) {
        vertx.cancelTimer(timer);
        probing.set(false);
        // An outage that began between the check and the reset would have found probing still on.
        if (current.get() != null) {
          startProbing();
        }
        return;
      }
      if (!asking.compareAndSet(false, true)) {
        return;
      }
      Future<?> asked;
      try {
        asked = probe.get();
      } catch (RuntimeException e) {
        asked = Future.failedFuture(e);
      }
      asked.timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS).onComplete(result -> {
        asking.set(false);
        if (result.succeeded()) {
          back();
        }
      });
    });
  }

  /** One outage: when its first failure was seen, and how many requests it answered 503. */
  private static final class Outage {
    private final long startNanos;
    private final AtomicLong answered = new AtomicLong();

    private Outage(long startNanos) {
      this.startNanos = startNanos;
    }
  }
}
