package io.keyhold.gateway.engine;

import com.github.benmanes.caffeine.cache.Cache;
import io.keyhold.gateway.store.MerchantStats;
import io.keyhold.gateway.store.MerchantStats.Cursor;
import io.keyhold.gateway.store.MerchantStats.Event;
import io.keyhold.gateway.store.ShortLivedCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merchants' reliability (issue 14): a job every gateway instance runs folds new evidence events into per-merchant
 * daily counts ({@link MerchantStats}, rules in {@link EvidenceTally}), and a merchant's {@link Reliability} is read
 * from the last {@link #WINDOW_DAYS} days of counts, reused for {@link ShortLivedCache#REUSE_MAX}.
 *
 * <p>A fold claims the one cursor with {@code FOR UPDATE SKIP LOCKED} (another instance folding: this one skips),
 * reads at most {@link #FOLD_BATCH_MAX} events after it, adds their counts and moves the cursor in one transaction,
 * so each event is counted exactly once whatever the number of instances. A full batch folds again at once;
 * otherwise the next fold waits {@link #FOLD_INTERVAL_MS}. The fold works on the API's pool, not the engine's: the
 * engine's few connections move money and keys, and a score that lags at peak harms no one.
 */
public final class MerchantReliability {
  /** The rolling window a score covers, today included. */
  public static final int WINDOW_DAYS = 30;
  /** Events one fold transaction reads at most: a few hundred orders' worth, a short transaction. */
  public static final int FOLD_BATCH_MAX = 1_000;
  /** How long the job waits after a fold that found less than a full batch; the score lags by about this. */
  public static final long FOLD_INTERVAL_MS = 1_000;
  /** Merchants whose reliability is kept in memory at once. */
  static final int CACHED_MERCHANTS_MAX = 10_000;
  /** The most merchants one ranking answers. */
  public static final int RANKING_LIMIT_MAX = 500;

  private static final Logger LOG = LoggerFactory.getLogger(MerchantReliability.class);

  private final MerchantStats stats;
  private final Clock clock;
  private final Counter folded;
  private final Cache<String, Reliability> merchants = ShortLivedCache.of(CACHED_MERCHANTS_MAX);
  private final Cache<LocalDate, List<Reliability>> rankings = ShortLivedCache.of(2);
  private final BatchLoop loop;

  public MerchantReliability(Vertx vertx, MerchantStats stats, Clock clock, MeterRegistry meters) {
    this.stats = Objects.requireNonNull(stats, "stats");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.folded = Counter.builder("keyhold.reliability.events_folded")
        .description("Evidence events folded into merchants' daily counts").register(meters);
    this.loop = new BatchLoop(vertx, this::foldOnce, FOLD_BATCH_MAX, FOLD_INTERVAL_MS, done -> {
      if (done.failed()) {
        LOG.warn("a reliability fold failed: {}", done.cause().toString());
      }
    });
  }

  /** Starts folding on this instance. */
  public void start() {
    loop.start();
  }

  /** Stops folding; completes when the fold under way is stored (or after {@code graceMs}). */
  public Future<Void> stop(long graceMs) {
    return loop.stop(graceMs);
  }

  /**
   * One fold: answers how many events it counted (0 when there was nothing new, or another instance holds the
   * cursor).
   */
  public Future<Integer> foldOnce() {
    return stats.pool().withTransaction(tx -> stats.claim(tx).compose(cursor -> {
      if (cursor == null) {
        return Future.succeededFuture(0);
      }
      return stats.after(tx, cursor, FOLD_BATCH_MAX).compose(batch -> {
        if (batch.isEmpty()) {
          return Future.succeededFuture(0);
        }
        return stats.context(tx, EvidenceTally.ordersNeedingContext(batch))
            .compose(context -> stats.add(tx, EvidenceTally.tally(batch, context)))
            .compose(added -> {
              Event last = batch.get(batch.size() - 1);
              return stats.advance(tx, new Cursor(last.tx(), last.orderId(), last.seq()), batch.size(),
                  clock.instant());
            })
            .map(batch.size());
      });
    })).onSuccess(folded::increment);
  }

  /** The merchant's reliability over the window ending today, or null when there is no such merchant. */
  public Future<Reliability> of(String merchantId) {
    LocalDate to = today();
    Reliability cached = merchants.getIfPresent(merchantId);
    if (cached != null && cached.to().equals(to)) {
      return Future.succeededFuture(cached);
    }
    LocalDate from = to.minusDays(WINDOW_DAYS - 1);
    return stats.window(merchantId, from, DeliveryTimes.BUCKETS).map(counts -> {
      if (counts == null) {
        return null;
      }
      Reliability read = new Reliability(counts.merchantId(), counts.name(), from, to, counts.counts());
      merchants.put(merchantId, read);
      return read;
    });
  }

  /**
   * Merchants with counts in the window, by score: the worst first (or the best), those without enough data
   * last; at most {@code limit} ({@link #RANKING_LIMIT_MAX}). Reads the window's rows of every merchant: an
   * operator's page, reused like the rest.
   */
  public Future<List<Reliability>> ranking(boolean worstFirst, int limit) {
    if (limit < 1 || limit > RANKING_LIMIT_MAX) {
      throw new IllegalArgumentException("limit must be in 1.." + RANKING_LIMIT_MAX + ", but was " + limit);
    }
    LocalDate to = today();
    LocalDate from = to.minusDays(WINDOW_DAYS - 1);
    List<Reliability> cached = rankings.getIfPresent(to);
    Future<List<Reliability>> all = cached != null ? Future.succeededFuture(cached)
        : stats.windowAll(from).map(rows -> {
          List<Reliability> list = new ArrayList<>();
          rows.forEach(row -> list.add(new Reliability(row.merchantId(), row.name(), from, to, row.counts())));
          rankings.put(to, List.copyOf(list));
          return list;
        });
    Comparator<Integer> scores = worstFirst ? Comparator.naturalOrder() : Comparator.reverseOrder();
    Comparator<Reliability> order = Comparator.comparing(Reliability::score, Comparator.nullsLast(scores))
        .thenComparing(Reliability::deliveries, Comparator.reverseOrder())
        .thenComparing(Reliability::merchantId);
    return all.map(list -> list.stream().sorted(order).limit(limit).toList());
  }

  private LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }
}
