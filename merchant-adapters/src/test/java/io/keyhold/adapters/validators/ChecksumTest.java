package io.keyhold.adapters.validators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChecksumTest {

  @ParameterizedTest
  @ValueSource(strings = {"79927398713", "4111111111111111", "4539148803436467", "0000000000000000", "18"})
  void luhnAcceptsKnownGoodNumbers(String number) {
    assertThat(Checksum.LUHN.isValid(number)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"79927398710", "4111111111111112", "4539148803436468", "", "7", "4111-1111-1111-1111",
      "411111111111111a", "٤١١١١١١١١١١١١١١١"})
  void luhnRejectsKnownBadNumbersAndNonDigits(String number) {
    assertThat(Checksum.LUHN.isValid(number)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"79444", "WEST12345698765432GB82", "370400440532013000DE89"})
  void mod97AcceptsKnownGoodValues(String value) {
    // 794 with check digits 44 is the example of ISO 7064; the others are IBANs, rearranged.
    assertThat(Checksum.MOD97_10.isValid(value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"79445", "WEST12345698765432GB83", "west12345698765432gb82", "ABC", "00", "", "7944-4"})
  void mod97RejectsKnownBadValues(String value) {
    assertThat(Checksum.MOD97_10.isValid(value)).isFalse();
  }

  @Test
  void checksumsAreNamedByStableCodes() {
    assertThat(Checksum.fromCode("luhn")).isEqualTo(Checksum.LUHN);
    assertThat(Checksum.fromCode("mod97-10")).isEqualTo(Checksum.MOD97_10);
    assertThat(Checksum.fromCode("none")).isEqualTo(Checksum.NONE);
    assertThatThrownBy(() -> Checksum.fromCode("crc32")).hasMessageContaining("but was crc32");
  }
}
