package io.keyhold.escrow;

import java.util.Currency;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One line of a ledger transaction: a signed amount added to one account's balance. The postings of
 * one {@link Transition} form one ledger transaction and sum to zero in every currency.
 *
 * @param account an account name from {@link Accounts}
 * @param amount a non-zero amount; positive adds to the account, negative takes from it
 */
public record Posting(String account, Money amount) {

  /** Checks that the account is named and the amount is not zero. */
  public Posting {
    Objects.requireNonNull(account, "account must not be null");
    Objects.requireNonNull(amount, "amount must not be null");
    if (amount.isZero()) {
      throw new IllegalArgumentException("a posting must move money, but the amount was " + amount);
    }
  }

  /** The sum of {@code postings} per currency (exact); a balanced transaction gives only zeros. */
  public static Map<Currency, Long> sumByCurrency(List<Posting> postings) {
    Map<Currency, Long> sums = new HashMap<>();
    for (Posting posting : postings) {
      sums.merge(posting.amount().currency(), posting.amount().minorUnits(), Math::addExact);
    }
    return sums;
  }

  /** True when {@code postings} sum to zero in every currency (an empty list is balanced). */
  public static boolean isBalanced(List<Posting> postings) {
    return sumByCurrency(postings).values().stream().allMatch(sum -> sum == 0);
  }
}
