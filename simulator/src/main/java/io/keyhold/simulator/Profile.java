package io.keyhold.simulator;

import io.keyhold.simulator.client.FollowMode;
import io.keyhold.simulator.load.ArrivalShape;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The rehearsals the simulator knows. Each sets every value of a {@link SimulationConfig}; flags
 * then override single values. Deadlines are short so a run ends in tens of seconds.
 */
public enum Profile {
  /** 10,000 buyers arriving within 10 s, most at the opening, for 2,000 keys in one consignment shop. */
  FLASH_SALE("flash-sale", "10,000 buyers within 10 s (spike) for 2,000 keys; no faults"),
  /** A calm, even stream of buyers over two shops, one of them a remote (http) shop. */
  STEADY("steady", "600 buyers over 30 s at an even rate, a consignment shop and a remote shop"),
  /** Two remote shops and a consignment shop; one remote shop dies mid-run: its paid orders are refunded. */
  MERCHANT_OUTAGE("merchant-outage", "one of two remote shops stops 8 s into the run"),
  /** Invalid, already redeemed and duplicated keys, in the uploaded stock and from a remote shop. */
  BAD_KEYS("bad-keys", "invalid, redeemed and duplicated keys; resupplies and refunds"),
  /** Payments pressed twice, paid twice, or paid after the deadline; notices repeated and reordered. */
  PAYMENT_CHAOS("payment-chaos", "repeated, double and late payments; payment notices repeated and reordered"),
  /**
   * A remote shop that is slow past its delivery deadline or sells bad keys for a share of orders, a
   * compensation on its SKU paid from a deposit that runs short, and a consignment shop as its backup source.
   */
  ACCOUNTABILITY("accountability", "a slow remote shop selling bad keys, its deposit paying compensation, a"
      + " consignment shop as its backup source"),
  /**
   * The load of bench/fault.sh, which kills the gateway and restarts PostgreSQL while it runs: a
   * flash-sale crowd spread evenly over the faults' time, so crashes meet orders in every state.
   */
  FAULT("fault", "2,000 buyers over 120 s at an even rate for 300 keys; for bench/fault.sh (crashes, database"
      + " restarts)");

  private final String code;
  private final String summary;

  Profile(String code, String summary) {
    this.code = code;
    this.summary = summary;
  }

  public String code() {
    return code;
  }

  public String summary() {
    return summary;
  }

  public static Profile fromCode(String code) {
    return Arrays.stream(values()).filter(p -> p.code.equals(code.toLowerCase(Locale.ROOT))).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("profile must be one of "
            + Arrays.stream(values()).map(Profile::code).collect(Collectors.joining(", "))
            + ", but was '" + code + "'"));
  }

  /** A builder holding this profile's values. */
  SimulationConfig.Builder defaults(SimulationConfig.Builder b) {
    // Shared by every profile: short deadlines (the gateway's lower bounds), buyers who act at once.
    b.seed(1).follow(FollowMode.SSE).priceMinor(1_000).currency("CNY").feeBasisPoints(250).quantity(1, 1)
        .thinkMsMax(200).comeBackWithinSeconds(0).sweeperLagSeconds(10).settleSeconds(15)
        .disputeRefundShare(0.5).connections(256).buyerConnections(1_000)
        .deadlines(new Deadlines(60, 10, 10, 10, 1, 60, 3_600))
        .behaviours(new BehaviourMix(0.85, 0.03, 0.05, 0.07, 0))
        .faults(FaultMix.NONE).chaos(PaymentChaos.NONE);
    return switch (this) {
      case FLASH_SALE -> b.buyers(10_000).arrival(ArrivalShape.SPIKE).arrivalSeconds(10).stock(2_000)
          .stockShops(1).httpShops(0).maxInFlight(10_000).drainSeconds(30);
      case STEADY -> b.buyers(600).arrival(ArrivalShape.FLAT).arrivalSeconds(30).stock(1_000).quantity(1, 2)
          .stockShops(1).httpShops(1).maxInFlight(1_000).drainSeconds(30);
      case MERCHANT_OUTAGE -> b.buyers(400).arrival(ArrivalShape.FLAT).arrivalSeconds(20).stock(600)
          .stockShops(1).httpShops(2).maxInFlight(1_000).drainSeconds(45)
          .faults(new FaultMix(0, 0, 0, 0, 20, 0, 0, 8));
      case BAD_KEYS -> b.buyers(400).arrival(ArrivalShape.RAMP).arrivalSeconds(15).stock(600)
          .stockShops(1).httpShops(1).maxInFlight(1_000).drainSeconds(60)
          .deadlines(new Deadlines(60, 10, 10, 10, 2, 60, 3_600))
          .faults(new FaultMix(0.1, 0.1, 0.1, 5, 0, 0, 0, -1));
      case PAYMENT_CHAOS -> b.buyers(400).arrival(ArrivalShape.FLAT).arrivalSeconds(15).stock(500)
          .stockShops(1).httpShops(0).maxInFlight(1_000).drainSeconds(90)
          .behaviours(new BehaviourMix(0.85, 0.03, 0.05, 0.02, 0))
          .chaos(new PaymentChaos(0.2, 0.1, 0.05, true));
      // One attempt at the primary, then the backup: a bad key or a timed-out delivery moves to the backup within
      // the run. The deposit covers 3 units of compensation, fewer than the primary lets down (12 to 25 a run).
      case ACCOUNTABILITY -> b.buyers(160).arrival(ArrivalShape.FLAT).arrivalSeconds(8).stock(600)
          .stockShops(1).httpShops(1).maxInFlight(1_000).drainSeconds(45)
          .deadlines(new Deadlines(60, 10, 10, 10, 1, 60, 3_600))
          .faults(new FaultMix(0.3, 0, 0, 0, 0, 0, 0.3, -1))
          .compensationMinor(100).depositMinor(300).backups(true);
      // A gateway down for a restart sweeps nothing: deadlines that fell due meanwhile are met after it is
      // back, hence the longer sweeper lag and settle time than the other profiles'.
      case FAULT -> b.buyers(2_000).arrival(ArrivalShape.FLAT).arrivalSeconds(120).stock(300)
          .stockShops(1).httpShops(0).maxInFlight(2_000).drainSeconds(90).sweeperLagSeconds(30).settleSeconds(30);
    };
  }
}
