package io.keyhold.escrow;

/**
 * The ledger's account names (docs/money.md). A {@link Posting} adds its signed amount to one
 * of these; money flows from {@code payments:in} (whose balance is minus all money received) through
 * {@code escrow:<order>} to {@code merchant:<id>:payable} plus {@code platform:fees}, or to
 * {@code refunds:out}.
 */
public final class Accounts {

  /** Where every payment comes from; its balance is minus the money received. */
  public static final String PAYMENTS_IN = "payments:in";
  /** The platform's fees on released units. */
  public static final String PLATFORM_FEES = "platform:fees";
  /** Money returned to buyers. */
  public static final String REFUNDS_OUT = "refunds:out";
  /** Where merchants' deposits come from (top-ups) and go back to (withdrawals); its balance is minus all held. */
  public static final String DEPOSITS_IN = "deposits:in";
  /** Compensation paid to buyers from merchants' deposits. */
  public static final String COMPENSATIONS_OUT = "compensations:out";

  private static final String ESCROW_PREFIX = "escrow:";
  private static final String MERCHANT_PREFIX = "merchant:";

  private Accounts() {}

  /** {@code escrow:<orderId>}: what the escrow holds for one order. */
  public static String escrow(String orderId) {
    return ESCROW_PREFIX + Check.id("orderId", orderId);
  }

  /** {@code merchant:<merchantId>:payable}: what the platform owes a merchant for released units. */
  public static String merchantPayable(String merchantId) {
    return MERCHANT_PREFIX + Check.id("merchantId", merchantId) + ":payable";
  }

  /**
   * {@code merchant:<merchantId>:deposit}: a merchant's security deposit; an order's deadline draws compensation
   * from it ({@link Compensation}).
   */
  public static String merchantDeposit(String merchantId) {
    return MERCHANT_PREFIX + Check.id("merchantId", merchantId) + ":deposit";
  }

  /** True for {@code escrow:<order>} accounts. */
  public static boolean isEscrow(String account) {
    return account.startsWith(ESCROW_PREFIX);
  }

  /** True for {@code merchant:<id>:deposit} accounts. */
  public static boolean isMerchantDeposit(String account) {
    return account.startsWith(MERCHANT_PREFIX) && account.endsWith(":deposit");
  }

  /** True for {@code merchant:<id>:payable} accounts. */
  public static boolean isMerchantPayable(String account) {
    return account.startsWith(MERCHANT_PREFIX) && account.endsWith(":payable");
  }
}
