package io.keyhold.simulator.env;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LuhnKeysTest {
  @Test
  void goodKeysPassTheLuhnCheckAndBadOnesFailIt() {
    List<LuhnKeys.Key> keys = new LuhnKeys(new Random(5)).draw(2_000, 0.25);

    assertThat(keys).allSatisfy(key -> {
      assertThat(key.value()).matches(LuhnKeys.PATTERN.substring(1, LuhnKeys.PATTERN.length() - 1));
      assertThat(LuhnKeys.valid(key.value())).isEqualTo(key.good());
      assertThat(key.toString()).doesNotContain(key.value());
    });
    long bad = keys.stream().filter(key -> !key.good()).count();
    assertThat(bad).isBetween(400L, 600L);
  }

  @Test
  void theCheckDigitMatchesAKnownCardNumber() {
    // 4539 1488 0343 6467 is a well-known Luhn-valid test number.
    assertThat(LuhnKeys.checkDigit("453914880343646")).isEqualTo(7);
    assertThat(LuhnKeys.valid("4539148803436467")).isTrue();
    assertThat(LuhnKeys.valid("4539148803436468")).isFalse();
  }
}
