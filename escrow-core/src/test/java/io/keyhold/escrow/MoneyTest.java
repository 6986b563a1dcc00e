package io.keyhold.escrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.RoundingMode;
import java.util.Currency;
import org.junit.jupiter.api.Test;

class MoneyTest {

  @Test
  void addsSubtractsAndMultipliesExactly() {
    Money price = Money.of(1999, "EUR");

    assertThat(price.plus(Money.of(1, "EUR"))).isEqualTo(Money.of(2000, "EUR"));
    assertThat(price.minus(Money.of(2000, "EUR"))).isEqualTo(Money.of(-1, "EUR"));
    assertThat(price.times(3)).isEqualTo(Money.of(5997, "EUR"));
    assertThat(price.negate()).isEqualTo(Money.of(-1999, "EUR"));
  }

  @Test
  void throwsOnOverflowInsteadOfWrappingAround() {
    Money max = Money.of(Long.MAX_VALUE, "EUR");

    assertThatThrownBy(() -> max.plus(Money.of(1, "EUR"))).isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> max.times(2)).isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> Money.of(Long.MIN_VALUE, "EUR").negate()).isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> Money.of(Long.MIN_VALUE, "EUR").minus(Money.of(1, "EUR")))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void refusesToMixCurrenciesAndNamesBoth() {
    assertThatThrownBy(() -> Money.of(100, "EUR").plus(Money.of(100, "USD")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("currency mismatch: EUR and USD");
    assertThatThrownBy(() -> Money.of(100, "CNY").compareTo(Money.of(100, "JPY")))
        .hasMessageContaining("CNY").hasMessageContaining("JPY");
  }

  @Test
  void dividesWithTheRoundingModeGiven() {
    Money ten = Money.of(10, "EUR");

    assertThat(ten.divide(3, RoundingMode.DOWN)).isEqualTo(Money.of(3, "EUR"));
    assertThat(ten.divide(3, RoundingMode.UP)).isEqualTo(Money.of(4, "EUR"));
    assertThat(Money.of(-10, "EUR").divide(4, RoundingMode.HALF_EVEN)).isEqualTo(Money.of(-2, "EUR"));
    assertThat(Money.of(14, "EUR").divide(4, RoundingMode.HALF_EVEN)).isEqualTo(Money.of(4, "EUR"));
    assertThatThrownBy(() -> ten.divide(3, RoundingMode.UNNECESSARY)).isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> ten.divide(0, RoundingMode.DOWN)).hasMessage("divisor must be greater than 0, but was 0");
  }

  @Test
  void takesBasisPointsWithoutOverflowingTheIntermediateProduct() {
    assertThat(Money.of(10_000, "EUR").basisPoints(250, RoundingMode.DOWN)).isEqualTo(Money.of(250, "EUR"));
    assertThat(Money.of(999, "EUR").basisPoints(250, RoundingMode.DOWN)).isEqualTo(Money.of(24, "EUR"));
    assertThat(Money.of(999, "EUR").basisPoints(250, RoundingMode.HALF_UP)).isEqualTo(Money.of(25, "EUR"));
    assertThat(Money.of(Long.MAX_VALUE, "EUR").basisPoints(10_000, RoundingMode.DOWN))
        .isEqualTo(Money.of(Long.MAX_VALUE, "EUR"));
    assertThatThrownBy(() -> Money.of(1, "EUR").basisPoints(10_001, RoundingMode.DOWN))
        .hasMessage("bps must be between 0 and 10000, but was 10001");
  }

  @Test
  void rejectsUnknownCurrenciesAndCurrenciesWithoutMinorUnits() {
    assertThatThrownBy(() -> Money.of(1, "EURO")).hasMessageContaining("'EURO'");
    assertThatThrownBy(() -> Money.of(1, "XAU")).hasMessageContaining("XAU");
  }

  @Test
  void printsForPeopleAndForEvidence() {
    assertThat(Money.of(1999, "EUR")).hasToString("EUR 19.99");
    assertThat(Money.of(-5, "USD")).hasToString("USD -0.05");
    assertThat(Money.of(500, "JPY")).hasToString("JPY 500");
    assertThat(Money.of(1999, "EUR").toCanonicalString()).isEqualTo("1999 EUR");
    assertThat(Money.zero(Currency.getInstance("CNY")).isZero()).isTrue();
  }
}
