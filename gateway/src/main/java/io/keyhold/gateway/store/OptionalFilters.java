package io.keyhold.gateway.store;

import java.util.List;
import java.util.Objects;

/**
 * The statements of a list whose filters are optional: one per combination of the filters given, each naming only
 * those. Written as one statement with {@code $n IS NULL OR ...}, the plan the gateway's connections make once,
 * without the values, can neither use the index a filter names nor start a page at its cursor: every page read the
 * list from its top, and a filter on a rare state walked the whole list to fill one page.
 */
public final class OptionalFilters {
  /** Filters one list may have: 2^n statements. */
  public static final int FILTERS_MAX = 4;

  private final String[] statements;

  /**
   * @param head the statement up to and including its WHERE's fixed part, with its own parameters $1 to
   *     ${@code headParameters}
   * @param headParameters how many parameters {@code head} has
   * @param filters the optional conditions, their parameters written {@code ?}, numbered in this order after the
   *     head's
   * @param tail what follows the conditions (ORDER BY, LIMIT), its parameters {@code ?} too, numbered last
   */
  public OptionalFilters(String head, int headParameters, List<String> filters, String tail) {
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(tail, "tail");
    if (filters.isEmpty() || filters.size() > FILTERS_MAX) {
      throw new IllegalArgumentException("a list has 1 to " + FILTERS_MAX + " optional filters, not " + filters.size());
    }
    statements = new String[1 << filters.size()];
    for (int given = 0; given < statements.length; given++) {
      StringBuilder sql = new StringBuilder(head);
      int[] last = {headParameters};
      for (int i = 0; i < filters.size(); i++) {
        if ((given & (1 << i)) != 0) {
          sql.append(" AND ").append(numbered(filters.get(i), last));
        }
      }
      statements[given] = sql.append(' ').append(numbered(tail, last)).toString();
    }
  }

  /**
   * The statement for the filters given ({@code given[i]}: filter i is): its parameters are the head's, then each
   * given filter's in order, then the tail's.
   */
  public String statement(boolean... given) {
    if (1 << given.length != statements.length) {
      throw new IllegalArgumentException("say for each of the " + Integer.numberOfTrailingZeros(statements.length)
          + " filters whether it is given, not " + given.length);
    }
    int index = 0;
    for (int i = 0; i < given.length; i++) {
      index |= given[i] ? 1 << i : 0;
    }
    return statements[index];
  }

  private static String numbered(String fragment, int[] last) {
    StringBuilder out = new StringBuilder(fragment.length() + 8);
    for (int i = 0; i < fragment.length(); i++) {
      char c = fragment.charAt(i);
      if (c == '?') {
        out.append('$').append(++last[0]);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
