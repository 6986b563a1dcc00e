package io.keyhold.simulator;

import io.keyhold.adapters.reference.epay.EpayFaults;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How the virtual buyers pay: the gateway's own {@code sandbox} provider, or an {@code epay} (易支付) site, the
 * stand-in one the simulator starts, reached the way a browser reaches it (the gateway's
 * {@code POST /v1/payments/start}, its redirect to the site's {@code submit.php}, the site's pay step).
 */
public enum PaymentRail {
  SANDBOX("sandbox"),
  EPAY("epay");

  /** The epay site's switchable faults, as {@code --epay-faults} names them. */
  public static final String FAULT_REPEAT = "repeat";
  public static final String FAULT_REORDER = "reorder";
  public static final String FAULT_DROP = "drop";
  public static final List<String> FAULTS = List.of(FAULT_REPEAT, FAULT_REORDER, FAULT_DROP);

  private final String code;

  PaymentRail(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }

  public static PaymentRail fromCode(String code) {
    for (PaymentRail rail : values()) {
      if (rail.code.equals(code)) {
        return rail;
      }
    }
    throw new IllegalArgumentException("payments must be sandbox or epay, but was '" + code + "'");
  }

  /**
   * The site's faults from a comma-separated list of {@link #FAULTS} ({@code none} or empty for none). Only the
   * faults of notices: a forged signature or a missing refund API would leave money the books cannot balance,
   * which the gateway's own tests pin instead.
   */
  public static EpayFaults epayFaults(String list) {
    EpayFaults faults = EpayFaults.NONE;
    if (list == null || list.isBlank() || list.trim().equals("none")) {
      return faults;
    }
    for (String raw : list.split(",", -1)) {
      String name = raw.trim().toLowerCase(Locale.ROOT);
      faults = switch (name) {
        case FAULT_REPEAT -> faults.withRepeatNotices(true);
        case FAULT_REORDER -> faults.withReorderNotices(true);
        case FAULT_DROP -> faults.withDropNotices(true);
        default -> throw new IllegalArgumentException("epay faults must be a comma-separated list of " + FAULTS
            + " or none, but had '" + raw + "'");
      };
    }
    return faults;
  }

  /** The names of the notice faults switched on, in {@link #FAULTS} order. */
  public static List<String> faultNames(EpayFaults faults) {
    List<String> names = new ArrayList<>();
    if (faults.repeatNotices()) {
      names.add(FAULT_REPEAT);
    }
    if (faults.reorderNotices()) {
      names.add(FAULT_REORDER);
    }
    if (faults.dropNotices()) {
      names.add(FAULT_DROP);
    }
    return names;
  }

  static JsonArray faultJson(EpayFaults faults) {
    return new JsonArray(new ArrayList<Object>(faultNames(faults)));
  }
}
