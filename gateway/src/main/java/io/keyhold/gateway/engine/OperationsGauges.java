package io.keyhold.gateway.engine;

import io.keyhold.escrow.OrderState;
import io.keyhold.gateway.store.OperationsFigures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's figures that live in the database ({@link OperationsFigures}), read every
 * {@link #REFRESH_MS} and exported as gauges, plus a counter of the order changes this instance committed by
 * the state they reached. Labels are few and fixed: order states, currencies. Every instance exports the same
 * database-wide gauges (take their maximum); the counters are per instance (take their sum).
 */
final class OperationsGauges {
  /** How often the figures are read: one cheap statement (open work only). */
  static final long REFRESH_MS = 5_000;
  static final String OPEN_ORDERS = "keyhold.orders.open";
  static final String TRANSITIONS = "keyhold.orders.transitions";
  static final String ESCROW_HELD = "keyhold.escrow.held.minor";
  static final String OUTBOX_PENDING = "keyhold.outbox.pending";
  static final String OUTBOX_OLDEST = "keyhold.outbox.oldest.seconds";
  static final String SWEEPER_LAG = "keyhold.sweeper.lag.seconds";
  /** The states an order can wait in; the others are terminal and counted by {@link #TRANSITIONS}. */
  static final Set<OrderState> OPEN_STATES = EnumSet.of(OrderState.AWAITING_PAYMENT, OrderState.FUNDED,
      OrderState.VALIDATING, OrderState.RESUPPLYING, OrderState.READY, OrderState.INSPECTION, OrderState.DISPUTED);
  /** Currencies exported at most: each is a label value. */
  static final int CURRENCIES_MAX = 32;

  private static final Logger LOG = LoggerFactory.getLogger(OperationsGauges.class);

  private final Vertx vertx;
  private final OperationsFigures figures;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Map<String, Long> openByState = new ConcurrentHashMap<>();
  private final Map<String, Long> escrowHeld = new ConcurrentHashMap<>();
  private volatile double outboxPending;
  private volatile double outboxOldestSeconds;
  private volatile double sweeperLagSeconds;
  private long timerId = -1;
  private boolean failing;

  OperationsGauges(Vertx vertx, OperationsFigures figures, Clock clock, MeterRegistry meters) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.figures = Objects.requireNonNull(figures, "figures");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.meters = Objects.requireNonNull(meters, "meters");
    for (OrderState state : OPEN_STATES) {
      openByState.put(state.code(), 0L);
      Gauge.builder(OPEN_ORDERS, openByState, m -> m.getOrDefault(state.code(), 0L))
          .description("Open orders by state").tag("state", state.code()).register(meters);
    }
    Gauge.builder(OUTBOX_PENDING, this, g -> g.outboxPending).description("Outbox rows not yet done").register(meters);
    Gauge.builder(OUTBOX_OLDEST, this, g -> g.outboxOldestSeconds)
        .description("Age of the oldest outbox row not yet done").register(meters);
    Gauge.builder(SWEEPER_LAG, this, g -> g.sweeperLagSeconds)
        .description("How long the most overdue deadline has been due").register(meters);
  }

  /** Counts a committed order change by the state it reached. */
  void changed(OrderState state) {
    Counter.builder(TRANSITIONS).description("Order changes committed by this instance, by the state reached")
        .tag("state", state.code()).register(meters).increment();
  }

  void start() {
    refresh();
    timerId = vertx.setPeriodic(REFRESH_MS, id -> refresh());
  }

  void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  private void refresh() {
    figures.read(clock.instant()).onSuccess(reading -> {
      failing = false;
      for (OrderState state : OPEN_STATES) {
        openByState.put(state.code(), reading.openByState().getLong(state.code(), 0L));
      }
      for (String currency : reading.escrowHeld().fieldNames()) {
        if (!escrowHeld.containsKey(currency) && escrowHeld.size() >= CURRENCIES_MAX) {
          continue;
        }
        if (escrowHeld.put(currency, reading.escrowHeld().getLong(currency)) == null) {
          Gauge.builder(ESCROW_HELD, escrowHeld, m -> m.getOrDefault(currency, 0L))
              .description("Minor units held in escrow for open orders, by currency").tag("currency", currency)
              .register(meters);
        }
      }
      escrowHeld.keySet().stream().filter(c -> !reading.escrowHeld().containsKey(c)).toList()
          .forEach(c -> escrowHeld.put(c, 0L));
      outboxPending = reading.outboxPending();
      outboxOldestSeconds = reading.outboxOldestSeconds();
      sweeperLagSeconds = reading.sweeperLagSeconds();
    }).onFailure(failure -> {
      // Said once until it works again: an outage is logged where it is met first.
      if (!failing) {
        LOG.warn("reading the operations figures failed: {}", failure.toString());
      }
      failing = true;
    });
  }
}
