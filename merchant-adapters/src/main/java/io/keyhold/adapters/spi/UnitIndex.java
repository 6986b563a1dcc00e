package io.keyhold.adapters.spi;

/**
 * The index of one unit (one item, one key) inside an order: an order of quantity 3 has units 0, 1
 * and 2. Each unit carries its own key and verdict, so a bad unit is replaced alone.
 *
 * @param value from 0 to {@value #MAX_VALUE}
 */
public record UnitIndex(int value) implements Comparable<UnitIndex> {

  /** Highest unit index accepted (the protocol's bound on an order's quantity, minus one). */
  public static final int MAX_VALUE = 9_999;

  /** Rejects an index outside 0..{@value #MAX_VALUE}, naming the value. */
  public UnitIndex {
    if (value < 0 || value > MAX_VALUE) {
      throw new IllegalArgumentException("unit index must be between 0 and " + MAX_VALUE + ", but was " + value);
    }
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
