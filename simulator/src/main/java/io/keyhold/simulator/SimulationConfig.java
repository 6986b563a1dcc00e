package io.keyhold.simulator;

import io.keyhold.adapters.reference.epay.EpayFaults;
import io.keyhold.simulator.client.FollowMode;
import io.keyhold.simulator.load.ArrivalShape;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * One rehearsal: how many buyers arrive and how, what they buy from which shops, the deadlines, the
 * faults, the limits of the run. Immutable; built from a {@link Profile} with {@link #builder(Profile)},
 * whose setters reject a bad value and say what they got.
 */
public final class SimulationConfig {
  public static final int BUYERS_MAX = 1_000_000;
  public static final int STOCK_MAX = 1_000_000;
  public static final int ARRIVAL_SECONDS_MAX = 3_600;
  public static final int QUANTITY_MAX = 100;
  public static final int SHOPS_MAX = 16;
  public static final int MAX_IN_FLIGHT_MAX = 20_000;
  public static final int CONNECTIONS_MAX = 4_096;
  public static final int DRAIN_SECONDS_MAX = 3_600;
  public static final int THINK_MS_MAX = 60_000;
  /** The longest a buyer told sold out may stay to look again for keys unpaid checkouts give back. */
  public static final int COME_BACK_WITHIN_SECONDS_MAX = 3_600;
  public static final int SWEEPER_LAG_SECONDS_MAX = 600;
  public static final int SETTLE_SECONDS_MAX = 600;
  public static final long PRICE_MINOR_MAX = 1_000_000_000_000L;
  /** The gateway's cap on a fixed compensation per unit (openapi {@code Compensation.value}). */
  public static final long COMPENSATION_MINOR_MAX = 100_000_000L;
  /** The gateway's cap on one deposit top-up (openapi {@code DepositMove.amount}). */
  public static final long DEPOSIT_MINOR_MAX = 100_000_000_000L;
  /** The one currency 易支付 sites take. */
  public static final String EPAY_CURRENCY = "CNY";

  private final Profile profile;
  private final long seed;
  private final int buyers;
  private final ArrivalShape arrival;
  private final int arrivalSeconds;
  private final int stock;
  private final int quantityMin;
  private final int quantityMax;
  private final int stockShops;
  private final int httpShops;
  private final long priceMinor;
  private final String currency;
  private final int feeBasisPoints;
  private final Deadlines deadlines;
  private final BehaviourMix behaviours;
  private final FaultMix faults;
  private final PaymentChaos chaos;
  private final PaymentRail payments;
  private final EpayFaults epayFaults;
  private final int maxInFlight;
  private final int connections;
  private final int buyerConnections;
  private final int drainSeconds;
  private final int sweeperLagSeconds;
  private final int settleSeconds;
  private final FollowMode follow;
  private final int thinkMsMax;
  private final int comeBackWithinSeconds;
  private final double disputeRefundShare;
  private final long compensationMinor;
  private final long depositMinor;
  private final boolean backups;

  private SimulationConfig(Builder b) {
    this.profile = b.profile;
    this.seed = b.seed;
    this.buyers = b.buyers;
    this.arrival = b.arrival;
    this.arrivalSeconds = b.arrivalSeconds;
    this.stock = b.stock;
    this.quantityMin = b.quantityMin;
    this.quantityMax = b.quantityMax;
    this.stockShops = b.stockShops;
    this.httpShops = b.httpShops;
    this.priceMinor = b.priceMinor;
    this.currency = b.currency;
    this.feeBasisPoints = b.feeBasisPoints;
    this.deadlines = b.deadlines;
    this.behaviours = b.behaviours;
    this.faults = b.faults;
    this.chaos = b.chaos;
    this.payments = b.payments;
    this.epayFaults = b.epayFaults;
    this.maxInFlight = b.maxInFlight;
    this.connections = b.connections;
    this.buyerConnections = b.buyerConnections;
    this.drainSeconds = b.drainSeconds;
    this.sweeperLagSeconds = b.sweeperLagSeconds;
    this.settleSeconds = b.settleSeconds;
    this.follow = b.follow;
    this.thinkMsMax = b.thinkMsMax;
    this.comeBackWithinSeconds = b.comeBackWithinSeconds;
    this.disputeRefundShare = b.disputeRefundShare;
    this.compensationMinor = b.compensationMinor;
    this.depositMinor = b.depositMinor;
    this.backups = b.backups;
  }

  /** A builder holding the profile's values. */
  public static Builder builder(Profile profile) {
    return profile.defaults(new Builder(profile));
  }

  public Profile profile() {
    return profile;
  }

  /** The seed every choice of the run is drawn from (arrivals, shops, quantities, behaviours, payments). */
  public long seed() {
    return seed;
  }

  public int buyers() {
    return buyers;
  }

  public ArrivalShape arrival() {
    return arrival;
  }

  /** The window within which buyers arrive. */
  public int arrivalSeconds() {
    return arrivalSeconds;
  }

  /** Keys for sale, across all shops. */
  public int stock() {
    return stock;
  }

  public int quantityMin() {
    return quantityMin;
  }

  public int quantityMax() {
    return quantityMax;
  }

  /** Shops whose keys are uploaded to the gateway (adapter {@code stock}). */
  public int stockShops() {
    return stockShops;
  }

  /** Shops reached over the merchant protocol (adapter {@code http}): reference merchants the simulator starts. */
  public int httpShops() {
    return httpShops;
  }

  public int shops() {
    return stockShops + httpShops;
  }

  public long priceMinor() {
    return priceMinor;
  }

  public String currency() {
    return currency;
  }

  public int feeBasisPoints() {
    return feeBasisPoints;
  }

  public Deadlines deadlines() {
    return deadlines;
  }

  public BehaviourMix behaviours() {
    return behaviours;
  }

  public FaultMix faults() {
    return faults;
  }

  public PaymentChaos chaos() {
    return chaos;
  }

  /** How the buyers pay (the sandbox unless told). */
  public PaymentRail payments() {
    return payments;
  }

  /** The faults of the epay site the simulator starts (with {@link PaymentRail#EPAY} only). */
  public EpayFaults epayFaults() {
    return epayFaults;
  }

  /**
   * Most buyers inside at once, from checkout to the end of their order; arrivals beyond it wait for a
   * place (measured as the admission wait). A bound on the simulator's own memory and streams: set it
   * high enough that buyers do not queue behind each other, which real buyers do not do.
   */
  public int maxInFlight() {
    return maxInFlight;
  }

  /**
   * Connections of the shops' servers and the operator to the gateway (merchant API: checkout
   * sessions); more calls at once wait for one.
   */
  public int connections() {
    return connections;
  }

  /** Connections of the buyers' browsers to the gateway (sandbox payments, buyer API); more calls at once wait. */
  public int buyerConnections() {
    return buyerConnections;
  }

  /** After the arrival window, how long buyers may still take before the run stops them. */
  public int drainSeconds() {
    return drainSeconds;
  }

  /** How late past its deadline an order may still be before the audit calls it overdue. */
  public int sweeperLagSeconds() {
    return sweeperLagSeconds;
  }

  /**
   * After the buyers, how long the last look may wait for asynchronous work to land (refunds of
   * duplicate or late payments, notices in flight) before the audit judges the books.
   */
  public int settleSeconds() {
    return settleSeconds;
  }

  public FollowMode follow() {
    return follow;
  }

  /** Longest pause a buyer takes before an action (drawn uniformly from 0 to it). */
  public int thinkMsMax() {
    return thinkMsMax;
  }

  /**
   * How long a buyer told sold out while orders awaiting payment still hold keys stays to look again for them (from
   * its first sold-out answer); 0: it leaves at once.
   */
  public int comeBackWithinSeconds() {
    return comeBackWithinSeconds;
  }

  /** Share of disputes the arbiter decides as a refund (the rest: release). */
  public double disputeRefundShare() {
    return disputeRefundShare;
  }

  /** Fixed compensation per unit a shop lets down (the SKU policy's {@code compensation}), or 0 for none. */
  public long compensationMinor() {
    return compensationMinor;
  }

  /** What the operator tops up each http shop's deposit with before the run, or 0 for no deposit. */
  public long depositMinor() {
    return depositMinor;
  }

  /** The stock shops' SKUs are the http shops' SKUs' backup sources, set by the operator before the run. */
  public boolean backups() {
    return backups;
  }

  /** The run exercises the shops' accountability: compensation, deposits or backup sources. */
  public boolean accountability() {
    return compensationMinor > 0 || depositMinor > 0 || backups;
  }

  /** The hard end of the buyers' part of the run, from its start. */
  public long runLimitMs() {
    return (arrivalSeconds + (long) drainSeconds) * 1000;
  }

  public Builder toBuilder() {
    Builder b = new Builder(profile);
    b.seed = seed;
    b.buyers = buyers;
    b.arrival = arrival;
    b.arrivalSeconds = arrivalSeconds;
    b.stock = stock;
    b.quantityMin = quantityMin;
    b.quantityMax = quantityMax;
    b.stockShops = stockShops;
    b.httpShops = httpShops;
    b.priceMinor = priceMinor;
    b.currency = currency;
    b.feeBasisPoints = feeBasisPoints;
    b.deadlines = deadlines;
    b.behaviours = behaviours;
    b.faults = faults;
    b.chaos = chaos;
    b.payments = payments;
    b.epayFaults = epayFaults;
    b.maxInFlight = maxInFlight;
    b.connections = connections;
    b.buyerConnections = buyerConnections;
    b.drainSeconds = drainSeconds;
    b.sweeperLagSeconds = sweeperLagSeconds;
    b.settleSeconds = settleSeconds;
    b.follow = follow;
    b.thinkMsMax = thinkMsMax;
    b.comeBackWithinSeconds = comeBackWithinSeconds;
    b.disputeRefundShare = disputeRefundShare;
    b.compensationMinor = compensationMinor;
    b.depositMinor = depositMinor;
    b.backups = backups;
    return b;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("profile", profile.code())
        .put("seed", seed)
        .put("buyers", buyers)
        .put("arrival", arrival.code())
        .put("arrival_seconds", arrivalSeconds)
        .put("stock", stock)
        .put("quantity_min", quantityMin)
        .put("quantity_max", quantityMax)
        .put("stock_shops", stockShops)
        .put("http_shops", httpShops)
        .put("price", new JsonObject().put("amount", priceMinor).put("currency", currency))
        .put("fee_basis_points", feeBasisPoints)
        .put("deadlines", deadlines.toPolicyJson())
        .put("behaviours", behaviours.toJson())
        .put("faults", faults.toJson())
        .put("payment_chaos", chaos.toJson())
        .put("payments", payments == PaymentRail.EPAY
            ? new JsonObject().put("rail", payments.code()).put("epay_faults", PaymentRail.faultJson(epayFaults))
            : new JsonObject().put("rail", payments.code()))
        .put("max_in_flight", maxInFlight)
        .put("connections", connections)
        .put("buyer_connections", buyerConnections)
        .put("drain_seconds", drainSeconds)
        .put("sweeper_lag_seconds", sweeperLagSeconds)
        .put("settle_seconds", settleSeconds)
        .put("follow", follow.code())
        .put("think_ms_max", thinkMsMax)
        .put("come_back_within_seconds", comeBackWithinSeconds)
        .put("dispute_refund_share", disputeRefundShare)
        .put("compensation_minor", compensationMinor)
        .put("deposit_minor", depositMinor)
        .put("backups", backups);
  }

  @Override
  public String toString() {
    return "SimulationConfig" + toJson().encode();
  }

  /** Builds a {@link SimulationConfig}; every setter checks its value at once. */
  public static final class Builder {
    private final Profile profile;
    private long seed;
    private int buyers;
    private ArrivalShape arrival;
    private int arrivalSeconds;
    private int stock;
    private int quantityMin;
    private int quantityMax;
    private int stockShops;
    private int httpShops;
    private long priceMinor;
    private String currency;
    private int feeBasisPoints;
    private Deadlines deadlines;
    private BehaviourMix behaviours;
    private FaultMix faults;
    private PaymentChaos chaos;
    private PaymentRail payments = PaymentRail.SANDBOX;
    private EpayFaults epayFaults = EpayFaults.NONE;
    private int maxInFlight;
    private int connections;
    private int buyerConnections;
    private int drainSeconds;
    private int sweeperLagSeconds;
    private int settleSeconds;
    private FollowMode follow;
    private int thinkMsMax;
    private int comeBackWithinSeconds;
    private double disputeRefundShare;
    private long compensationMinor;
    private long depositMinor;
    private boolean backups;

    private Builder(Profile profile) {
      this.profile = Objects.requireNonNull(profile, "profile");
    }

    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    public Builder buyers(int value) {
      range("buyers", value, 1, BUYERS_MAX);
      this.buyers = value;
      return this;
    }

    public Builder arrival(ArrivalShape value) {
      this.arrival = Objects.requireNonNull(value, "arrival");
      return this;
    }

    public Builder arrivalSeconds(int value) {
      range("arrival seconds", value, 1, ARRIVAL_SECONDS_MAX);
      this.arrivalSeconds = value;
      return this;
    }

    public Builder stock(int value) {
      range("stock", value, 1, STOCK_MAX);
      this.stock = value;
      return this;
    }

    public Builder quantity(int min, int max) {
      range("quantity min", min, 1, QUANTITY_MAX);
      range("quantity max", max, min, QUANTITY_MAX);
      this.quantityMin = min;
      this.quantityMax = max;
      return this;
    }

    public Builder stockShops(int value) {
      range("stock shops", value, 0, SHOPS_MAX);
      this.stockShops = value;
      return this;
    }

    public Builder httpShops(int value) {
      range("http shops", value, 0, SHOPS_MAX);
      this.httpShops = value;
      return this;
    }

    public Builder priceMinor(long value) {
      range("price minor", value, 1, PRICE_MINOR_MAX);
      this.priceMinor = value;
      return this;
    }

    public Builder currency(String value) {
      if (value == null || !value.matches("[A-Z]{3}")) {
        throw new IllegalArgumentException("currency must be an ISO 4217 code like EUR, but was '" + value + "'");
      }
      this.currency = value;
      return this;
    }

    public Builder feeBasisPoints(int value) {
      range("fee basis points", value, 0, 10_000);
      this.feeBasisPoints = value;
      return this;
    }

    public Builder deadlines(Deadlines value) {
      this.deadlines = Objects.requireNonNull(value, "deadlines");
      return this;
    }

    public Builder behaviours(BehaviourMix value) {
      this.behaviours = Objects.requireNonNull(value, "behaviours");
      return this;
    }

    public Builder faults(FaultMix value) {
      this.faults = Objects.requireNonNull(value, "faults");
      return this;
    }

    public Builder chaos(PaymentChaos value) {
      this.chaos = Objects.requireNonNull(value, "chaos");
      return this;
    }

    public Builder payments(PaymentRail value) {
      this.payments = Objects.requireNonNull(value, "payments");
      return this;
    }

    public Builder epayFaults(EpayFaults value) {
      this.epayFaults = Objects.requireNonNull(value, "epay faults");
      return this;
    }

    public Builder maxInFlight(int value) {
      range("max in flight", value, 1, MAX_IN_FLIGHT_MAX);
      this.maxInFlight = value;
      return this;
    }

    public Builder connections(int value) {
      range("connections", value, 1, CONNECTIONS_MAX);
      this.connections = value;
      return this;
    }

    public Builder buyerConnections(int value) {
      range("buyer connections", value, 1, CONNECTIONS_MAX);
      this.buyerConnections = value;
      return this;
    }

    public Builder drainSeconds(int value) {
      range("drain seconds", value, 0, DRAIN_SECONDS_MAX);
      this.drainSeconds = value;
      return this;
    }

    public Builder sweeperLagSeconds(int value) {
      range("sweeper lag seconds", value, 0, SWEEPER_LAG_SECONDS_MAX);
      this.sweeperLagSeconds = value;
      return this;
    }

    public Builder settleSeconds(int value) {
      range("settle seconds", value, 0, SETTLE_SECONDS_MAX);
      this.settleSeconds = value;
      return this;
    }

    public Builder follow(FollowMode value) {
      this.follow = Objects.requireNonNull(value, "follow");
      return this;
    }

    public Builder thinkMsMax(int value) {
      range("think ms max", value, 0, THINK_MS_MAX);
      this.thinkMsMax = value;
      return this;
    }

    public Builder comeBackWithinSeconds(int value) {
      range("come back within seconds", value, 0, COME_BACK_WITHIN_SECONDS_MAX);
      this.comeBackWithinSeconds = value;
      return this;
    }

    public Builder disputeRefundShare(double value) {
      if (!(value >= 0 && value <= 1)) {
        throw new IllegalArgumentException("dispute refund share must be between 0 and 1, but was " + value);
      }
      this.disputeRefundShare = value;
      return this;
    }

    public Builder compensationMinor(long value) {
      range("compensation minor", value, 0, COMPENSATION_MINOR_MAX);
      this.compensationMinor = value;
      return this;
    }

    public Builder depositMinor(long value) {
      range("deposit minor", value, 0, DEPOSIT_MINOR_MAX);
      this.depositMinor = value;
      return this;
    }

    public Builder backups(boolean value) {
      this.backups = value;
      return this;
    }

    public Deadlines deadlines() {
      return deadlines;
    }

    public FaultMix faults() {
      return faults;
    }

    public PaymentChaos chaos() {
      return chaos;
    }

    public BehaviourMix behaviours() {
      return behaviours;
    }

    /** The config; rejects combinations no run can serve (no shop at all, fewer keys than shops). */
    public SimulationConfig build() {
      if (stockShops + httpShops < 1) {
        throw new IllegalArgumentException("a run needs at least one shop, but had 0 stock shops and 0 http shops");
      }
      if (stock < stockShops + httpShops) {
        throw new IllegalArgumentException("stock must be at least one key per shop (" + (stockShops + httpShops)
            + "), but was " + stock);
      }
      if (payments == PaymentRail.EPAY && !EPAY_CURRENCY.equals(currency)) {
        throw new IllegalArgumentException("易支付 (epay) sites take " + EPAY_CURRENCY + " only, but the currency was "
            + currency);
      }
      if (payments != PaymentRail.EPAY && !epayFaults.equals(EpayFaults.NONE)) {
        throw new IllegalArgumentException("epay faults are faults of the epay site: give them with payments epay");
      }
      if (faults.outage() && httpShops < 1) {
        throw new IllegalArgumentException("an outage needs an http shop to stop, but http shops was 0");
      }
      if (backups && (stockShops < 1 || httpShops < 1)) {
        throw new IllegalArgumentException("backups make the stock shops back up the http shops: they need at least"
            + " one of each, but had " + stockShops + " stock shops and " + httpShops + " http shops");
      }
      return new SimulationConfig(this);
    }

    private static void range(String name, long value, long min, long max) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", but was " + value);
      }
    }
  }
}
