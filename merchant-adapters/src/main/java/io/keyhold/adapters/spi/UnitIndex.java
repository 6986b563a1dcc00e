package io.keyhold.adapters.spi;

/**
 * The index of one unit (one item, one key) inside an order: an order of quantity 3 has units 0, 1
 * and 2. Each unit carries its own key and verdict, so a bad unit is replaced alone.
 *
 * @param value from 0 to {@value #VALUE_MAX}
 */
public record UnitIndex(int value) implements Comparable<UnitIndex> {

  /** Highest unit index accepted (the protocol's bound on an order's quantity, minus one). */
  public static final int VALUE_MAX = 9_999;

  /** Rejects an index outside 0..{@value #VALUE_MAX}, naming the value. */
  public UnitIndex {
    Range.check("unit index", value, 0, VALUE_MAX);
  }

  /** The unit with this index. */
  public static UnitIndex of(int value) {
    return new UnitIndex(value);
  }

  @Override
  public int compareTo(UnitIndex other) {
    return Integer.compare(value, other.value);
  }

  @Override
  public String toString() {
    return "unit " + value;
  }
}
