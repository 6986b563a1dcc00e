package io.keyhold.escrow;

import java.math.RoundingMode;
import java.util.Currency;
import java.util.Objects;

/**
 * What a merchant owes the buyer per unit it let down: a unit whose first key missed the delivery deadline,
 * or a unit whose resupply ended in a refund (docs/money.md). Paid from the merchant's deposit
 * ({@link Accounts#merchantDeposit}) in the same transition that judged the merchant late, never more than the
 * deposit holds then; what it could not pay is recorded as owed.
 *
 * @param basis how {@code value} is read
 * @param value minor units of the order's currency per unit ({@link Basis#FIXED}), or basis points of the unit
 *     price ({@link Basis#BASIS_POINTS}, rounded down, in the merchant's favour)
 */
public record Compensation(Basis basis, long value) {

  /** The largest fixed compensation per unit, in minor units: bounds what one unit can draw from a deposit. */
  public static final long FIXED_MINOR_MAX = 100_000_000L;
  /** The largest share of the unit price per unit: the whole price. */
  public static final int BASIS_POINTS_MAX = Money.BASIS_POINTS_PER_WHOLE;
  /** How a share of the price is rounded: down, so a merchant never owes more than its rate. */
  public static final RoundingMode ROUNDING = RoundingMode.DOWN;

  /** How a compensation's value is read. */
  public enum Basis implements Coded {
    /** A fixed amount per unit, in minor units of the order's currency. */
    FIXED("fixed"),
    /** A share of the unit price, in basis points (10 000 = the whole price). */
    BASIS_POINTS("basis_points");

    private static final CodeLookup<Basis> CODES = CodeLookup.of(Basis.class, "compensation basis");

    private final String code;

    Basis(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }

    /** The basis with this code, or an {@link IllegalArgumentException} naming the code. */
    public static Basis fromCode(String code) {
      return CODES.find(code);
    }
  }

  /** Checks the value is within its basis' bounds. */
  public Compensation {
    Objects.requireNonNull(basis, "basis must not be null");
    long max = basis == Basis.FIXED ? FIXED_MINOR_MAX : BASIS_POINTS_MAX;
    if (value < 1 || value > max) {
      throw new IllegalArgumentException("compensation " + basis.code() + " must be between 1 and " + max
          + ", but was " + value);
    }
  }

  /** A fixed amount per unit, in minor units of the order's currency. */
  public static Compensation fixed(long minorUnits) {
    return new Compensation(Basis.FIXED, minorUnits);
  }

  /** A share of the unit price per unit, in basis points. */
  public static Compensation basisPoints(int basisPoints) {
    return new Compensation(Basis.BASIS_POINTS, basisPoints);
  }

  /** What one affected unit is owed for an order at {@code unitPrice} (may be zero for a tiny price). */
  public Money perUnit(Money unitPrice) {
    Currency currency = unitPrice.currency();
    return basis == Basis.FIXED
        ? new Money(value, currency)
        : unitPrice.basisPoints((int) value, ROUNDING);
  }
}
