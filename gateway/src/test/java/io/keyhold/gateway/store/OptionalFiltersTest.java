package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OptionalFiltersTest {
  private static final OptionalFilters LIST = new OptionalFilters("SELECT id FROM t WHERE owner = $1", 1,
      List.of("state = ?", "(at, id) < (?, ?)"), "ORDER BY at DESC LIMIT ?");

  @Test
  void namesOnlyTheFiltersGivenAndNumbersTheirParametersInOrder() {
    assertThat(LIST.statement(false, false)).isEqualTo("SELECT id FROM t WHERE owner = $1 ORDER BY at DESC LIMIT $2");
    assertThat(LIST.statement(true, false))
        .isEqualTo("SELECT id FROM t WHERE owner = $1 AND state = $2 ORDER BY at DESC LIMIT $3");
    assertThat(LIST.statement(false, true))
        .isEqualTo("SELECT id FROM t WHERE owner = $1 AND (at, id) < ($2, $3) ORDER BY at DESC LIMIT $4");
    assertThat(LIST.statement(true, true)).isEqualTo(
        "SELECT id FROM t WHERE owner = $1 AND state = $2 AND (at, id) < ($3, $4) ORDER BY at DESC LIMIT $5");
  }

  @Test
  void refusesToGuessWhichFiltersAreGiven() {
    assertThatThrownBy(() -> LIST.statement(true)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OptionalFilters("SELECT 1", 0, List.of(), ""))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
