package io.keyhold.gateway.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FingerprintsTest {
  private final Fingerprints fingerprints = new Fingerprints(KeyVault.newKey());

  @ParameterizedTest
  @ValueSource(strings = {"ABCD1234EFGH", "abcd-1234-efgh", "  ABCD 1234 EFGH  ", "abcd—1234–efgh", "ＡＢＣＤ－１２３４－ＥＦＧＨ",
      "ab cd\t12-34\nef gh", "ABCD\u00a01234\u3000EFGH"})
  void writingsOfOneKeyNormalizeAlike(String written) {
    assertThat(Fingerprints.normalize(written)).isEqualTo("ABCD1234EFGH");
    assertThat(fingerprints.of(written)).isEqualTo(fingerprints.of("ABCD1234EFGH"));
  }

  @Test
  void differentKeysHaveDifferentFingerprints() {
    assertThat(fingerprints.of("ABCD1234EFGH")).isNotEqualTo(fingerprints.of("ABCD1234EFGI"));
    assertThat(fingerprints.of("ABCD1234EFGH")).hasSize(Fingerprints.FINGERPRINT_BYTES);
  }

  @Test
  void aFingerprintDependsOnTheKeyedSecret() {
    Fingerprints other = new Fingerprints(KeyVault.newKey());

    assertThat(other.of("ABCD1234EFGH")).isNotEqualTo(fingerprints.of("ABCD1234EFGH"));
    assertThat(other.checkValue()).isNotEqualTo(fingerprints.checkValue());
  }

  @Test
  void refusesAShortKey() {
    assertThatThrownBy(() -> new Fingerprints(new byte[8])).hasMessageContaining("but was 8");
  }
}
