package io.keyhold.gateway.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {
  @TempDir
  Path dataDir;

  @Test
  void aTokenMatchesOnlyItsOwnHash() {
    String token = SecretHasher.newToken("khk_");
    byte[] hash = SecretHasher.hash(token);

    assertThat(token).startsWith("khk_").hasSize(4 + 43);
    assertThat(SecretHasher.matches(token, hash)).isTrue();
    assertThat(SecretHasher.matches(token + "x", hash)).isFalse();
    assertThat(SecretHasher.matches(SecretHasher.newToken("khk_"), hash)).isFalse();
    assertThat(SecretHasher.matches(null, hash)).isFalse();
  }

  @Test
  void generatesSecretsOnceIntoAPrivateFileAndReloadsThem() throws Exception {
    GatewaySecrets first = GatewaySecrets.loadOrCreate(dataDir, SecretOverrides.NONE);
    Path file = dataDir.resolve(GatewaySecrets.FILE_NAME);
    GatewaySecrets second = GatewaySecrets.loadOrCreate(dataDir, SecretOverrides.NONE);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(first.adminTokenGenerated()).isTrue();
    assertThat(second.adminTokenGenerated()).isFalse();
    assertThat(second.adminToken()).isEqualTo(first.adminToken());
    assertThat(second.fingerprints().of("KEY")).isEqualTo(first.fingerprints().of("KEY"));
    assertThat(second.evidenceSigner().publicKeyX509()).isEqualTo(first.evidenceSigner().publicKeyX509());
    assertThat(second.vault().openString(first.vault().sealString("KEY", "aad"), "aad")).isEqualTo("KEY");
    assertThat(first.toString()).doesNotContain(first.adminToken());
  }

  @Test
  void givenSecretsWinAndAreNeverWrittenToDisk() throws Exception {
    String fingerprintKey = Base64.getEncoder().encodeToString(KeyVault.newKey());
    String vaultKey = Base64.getEncoder().encodeToString(KeyVault.newKey());
    SecretOverrides given = new SecretOverrides("k7:" + vaultKey, fingerprintKey, null, "kha_given_token_0123456789");

    GatewaySecrets secrets = GatewaySecrets.loadOrCreate(dataDir, given);
    String file = Files.readString(dataDir.resolve(GatewaySecrets.FILE_NAME));

    assertThat(secrets.vault().activeKeyId()).isEqualTo("k7");
    assertThat(secrets.adminToken()).isEqualTo("kha_given_token_0123456789");
    assertThat(file).doesNotContain(fingerprintKey).doesNotContain(vaultKey).doesNotContain("kha_given_token")
        .contains("evidence.seed");
    assertThat(given.toString()).doesNotContain(fingerprintKey);
  }

  @Test
  void rotationAddsAKeyAndOldValuesStillOpen() throws Exception {
    String k1 = Base64.getEncoder().encodeToString(KeyVault.newKey());
    String k2 = Base64.getEncoder().encodeToString(KeyVault.newKey());
    KeyVault.Sealed old = GatewaySecrets.parseVaultKeys("k1:" + k1).sealString("KEY", "aad");

    KeyVault rotated = GatewaySecrets.parseVaultKeys("k2:" + k2 + ",k1:" + k1);

    assertThat(rotated.activeKeyId()).isEqualTo("k2");
    assertThat(rotated.openString(old, "aad")).isEqualTo("KEY");
  }

  @Test
  void aBadSecretIsNamedButNotEchoed() {
    assertThatThrownBy(() -> GatewaySecrets.parseVaultKeys("k1:not*base64!"))
        .hasMessageContaining("vault key 'k1' must be base64")
        .hasMessageNotContaining("not*base64");
  }
}
