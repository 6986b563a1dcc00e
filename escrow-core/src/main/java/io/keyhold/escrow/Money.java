package io.keyhold.escrow;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;
import java.util.Objects;

/**
 * An amount of money: a whole number of minor units (cents, fen, yen) of one ISO 4217 currency.
 *
 * <p>Immutable. Arithmetic is exact: an overflow throws {@link ArithmeticException}, mixing two
 * currencies throws {@link IllegalArgumentException} naming both, and every division names its
 * {@link RoundingMode}. Amounts may be negative (ledger postings are signed).
 *
 * @param minorUnits the amount in minor units of {@code currency}
 * @param currency an ISO 4217 currency that has minor units (not XXX, XAU, ...)
 */
public record Money(long minorUnits, Currency currency) implements Comparable<Money> {

  /** Basis points in a whole: 10,000 bps = 100 %. */
  public static final int BASIS_POINTS_PER_WHOLE = 10_000;

  /** Checks that the currency has a minor unit, so that minor units mean something. */
  public Money {
    Objects.requireNonNull(currency, "currency must not be null");
    if (currency.getDefaultFractionDigits() < 0) {
      throw new IllegalArgumentException(
          "currency must have minor units, but was " + currency.getCurrencyCode());
    }
  }

  /** {@code minorUnits} of the currency with this ISO 4217 code, e.g. {@code Money.of(1999, "EUR")}. */
  public static Money of(long minorUnits, String currencyCode) {
    return new Money(minorUnits, currency(currencyCode));
  }

  /** Zero in {@code currency}. */
  public static Money zero(Currency currency) {
    return new Money(0, currency);
  }

  /** Zero in the currency with this ISO 4217 code. */
  public static Money zero(String currencyCode) {
    return zero(currency(currencyCode));
  }

  private static Currency currency(String currencyCode) {
    try {
      return Currency.getInstance(Objects.requireNonNull(currencyCode, "currencyCode must not be null"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "currencyCode must be an ISO 4217 code, but was '" + currencyCode + "'", e);
    }
  }

  /** This plus {@code other}; same currency, exact. */
  public Money plus(Money other) {
    requireSameCurrency(other);
    return new Money(Math.addExact(minorUnits, other.minorUnits), currency);
  }

  /** This minus {@code other}; same currency, exact. */
  public Money minus(Money other) {
    requireSameCurrency(other);
    return new Money(Math.subtractExact(minorUnits, other.minorUnits), currency);
  }

  /** This times {@code factor}, exact. */
  public Money times(long factor) {
    return new Money(Math.multiplyExact(minorUnits, factor), currency);
  }

  /** The same amount with the opposite sign. */
  public Money negate() {
    return new Money(Math.negateExact(minorUnits), currency);
  }

  /**
   * This divided by a positive {@code divisor}, rounded to whole minor units with {@code rounding}
   * ({@link RoundingMode#UNNECESSARY} throws {@link ArithmeticException} if a remainder is left).
   */
  public Money divide(long divisor, RoundingMode rounding) {
    if (divisor <= 0) {
      throw new IllegalArgumentException("divisor must be greater than 0, but was " + divisor);
    }
    Objects.requireNonNull(rounding, "rounding must not be null");
    return new Money(
        BigDecimal.valueOf(minorUnits).divide(BigDecimal.valueOf(divisor), 0, rounding).longValueExact(),
        currency);
  }

  /**
   * The share of this amount given in basis points (1 bps = 0.01 %), rounded to whole minor units
   * with {@code rounding}; used for fees. {@code bps} must be between 0 and {@value #BASIS_POINTS_PER_WHOLE}.
   */
  public Money basisPoints(int bps, RoundingMode rounding) {
    Check.range("bps", bps, 0, BASIS_POINTS_PER_WHOLE);
    Objects.requireNonNull(rounding, "rounding must not be null");
    // The product can exceed a long before the division brings it back, hence BigDecimal.
    BigDecimal share = BigDecimal.valueOf(minorUnits)
        .multiply(BigDecimal.valueOf(bps))
        .divide(BigDecimal.valueOf(BASIS_POINTS_PER_WHOLE), 0, rounding);
    return new Money(share.longValueExact(), currency);
  }

  /** True when the amount is zero. */
  public boolean isZero() {
    return minorUnits == 0;
  }

  /** True when the amount is greater than zero. */
  public boolean isPositive() {
    return minorUnits > 0;
  }

  /** True when the amount is less than zero. */
  public boolean isNegative() {
    return minorUnits < 0;
  }

  /** True when both amounts have the same currency. */
  public boolean isSameCurrencyAs(Money other) {
    return currency.equals(other.currency);
  }

  /** Compares amounts of the same currency; another currency throws. */
  @Override
  public int compareTo(Money other) {
    requireSameCurrency(other);
    return Long.compare(minorUnits, other.minorUnits);
  }

  private void requireSameCurrency(Money other) {
    Objects.requireNonNull(other, "other must not be null");
    if (!currency.equals(other.currency)) {
      throw new IllegalArgumentException(
          "currency mismatch: " + currency.getCurrencyCode() + " and " + other.currency.getCurrencyCode());
    }
  }

  /** The canonical text used in evidence: minor units, a space, the currency code ({@code "1999 EUR"}). */
  public String toCanonicalString() {
    return minorUnits + " " + currency.getCurrencyCode();
  }

  /** For people: {@code "EUR 19.99"}. */
  @Override
  public String toString() {
    return currency.getCurrencyCode() + " "
        + BigDecimal.valueOf(minorUnits, currency.getDefaultFractionDigits()).toPlainString();
  }
}
