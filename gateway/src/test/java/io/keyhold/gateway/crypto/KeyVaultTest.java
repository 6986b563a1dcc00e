package io.keyhold.gateway.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyVaultTest {
  private static final byte[] AAD = "stock-key:mer_a:sku_a".getBytes(StandardCharsets.UTF_8);
  private final byte[] k1 = KeyVault.newKey();
  private final byte[] k2 = KeyVault.newKey();

  @Test
  void opensWhatItSealed() {
    KeyVault vault = KeyVault.of("k1", Map.of("k1", k1));
    KeyVault.Sealed sealed = vault.seal("ABCD-1234-EFGH".getBytes(StandardCharsets.UTF_8), AAD);

    assertThat(sealed.keyId()).isEqualTo("k1");
    assertThat(new String(sealed.ciphertext(), StandardCharsets.ISO_8859_1)).doesNotContain("ABCD");
    assertThat(new String(vault.open(sealed, AAD), StandardCharsets.UTF_8)).isEqualTo("ABCD-1234-EFGH");
  }

  @Test
  void sealsTheSameKeyDifferentlyEachTime() {
    KeyVault vault = KeyVault.of("k1", Map.of("k1", k1));
    byte[] plain = "SAME".getBytes(StandardCharsets.UTF_8);

    assertThat(vault.seal(plain, AAD)).isNotEqualTo(vault.seal(plain, AAD));
  }

  @Test
  void afterRotationSealsWithTheNewKeyAndStillOpensOldValues() {
    KeyVault before = KeyVault.of("k1", Map.of("k1", k1));
    KeyVault.Sealed old = before.sealString("OLD-KEY", "aad");
    KeyVault after = KeyVault.of("k2", Map.of("k2", k2, "k1", k1));

    KeyVault.Sealed fresh = after.sealString("NEW-KEY", "aad");

    assertThat(fresh.keyId()).isEqualTo("k2");
    assertThat(after.openString(old, "aad")).isEqualTo("OLD-KEY");
    assertThat(after.needsResealing(old)).isTrue();
    assertThat(after.needsResealing(fresh)).isFalse();
  }

  @Test
  void refusesAValueSealedWithAKeyItNoLongerHolds() {
    KeyVault.Sealed old = KeyVault.of("k1", Map.of("k1", k1)).sealString("OLD", "aad");
    KeyVault without = KeyVault.of("k2", Map.of("k2", k2));

    assertThatThrownBy(() -> without.openString(old, "aad"))
        .isInstanceOf(KeyVaultException.class)
        .hasMessageContaining("k1");
  }

  @Test
  void detectsOneFlippedBitAnywhereInTheCiphertext() {
    KeyVault vault = KeyVault.of("k1", Map.of("k1", k1));
    KeyVault.Sealed sealed = vault.seal("SECRET-CARD-KEY".getBytes(StandardCharsets.UTF_8), AAD);
    for (int i = 0; i < sealed.ciphertext().length; i++) {
      byte[] tampered = sealed.ciphertext().clone();
      tampered[i] ^= 0x01;
      KeyVault.Sealed bad = new KeyVault.Sealed("k1", tampered);

      assertThatThrownBy(() -> vault.open(bad, AAD))
          .isInstanceOf(KeyVaultException.class)
          .hasMessageNotContaining("SECRET");
    }
  }

  @Test
  void refusesACiphertextMovedToAnotherRow() {
    KeyVault vault = KeyVault.of("k1", Map.of("k1", k1));
    KeyVault.Sealed sealed = vault.sealString("KEY", "stock-key:mer_a:sku_a");

    assertThatThrownBy(() -> vault.openString(sealed, "stock-key:mer_b:sku_b")).isInstanceOf(KeyVaultException.class);
  }

  @Test
  void rejectsBadKeysWithTheValueInTheMessage() {
    assertThatThrownBy(() -> KeyVault.of("k1", Map.of("k1", new byte[16])))
        .hasMessageContaining("must be 32 bytes, but was 16");
    assertThatThrownBy(() -> KeyVault.of("k9", Map.of("k1", k1))).hasMessageContaining("'k9'");
    assertThatThrownBy(() -> KeyVault.of("bad id", Map.of("bad id", k1))).hasMessageContaining("'bad id'");
  }

  @Test
  void neverPrintsKeyMaterial() {
    KeyVault vault = KeyVault.of("k1", Map.of("k1", k1));
    assertThat(vault.toString()).isEqualTo("KeyVault[active=k1, keys=[k1]]");
    assertThat(vault.sealString("KEY", "aad").toString()).startsWith("Sealed[keyId=k1, ");
  }
}
