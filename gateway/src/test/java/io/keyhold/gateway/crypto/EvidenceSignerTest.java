package io.keyhold.gateway.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class EvidenceSignerTest {
  private static final byte[] BUNDLE = "{\"order\":\"ord_1\",\"events\":[1,2,3]}".getBytes(StandardCharsets.UTF_8);
  private final EvidenceSigner signer = EvidenceSigner.fromSeed(EvidenceSigner.newSeed());

  @Test
  void aSignatureVerifiesWithTheExportedPublicKey() {
    byte[] signature = signer.sign(BUNDLE);
    byte[] publicKey = Base64.getDecoder().decode(signer.publicKeyBase64());

    assertThat(signature).hasSize(EvidenceSigner.SIGNATURE_BYTES);
    assertThat(EvidenceSigner.verify(publicKey, BUNDLE, signature)).isTrue();
    assertThat(signer.verify(BUNDLE, signature)).isTrue();
  }

  @Test
  void oneFlippedByteInTheBundleOrTheSignatureFails() {
    byte[] signature = signer.sign(BUNDLE);
    for (int i = 0; i < BUNDLE.length; i++) {
      byte[] tampered = BUNDLE.clone();
      tampered[i] ^= 0x01;
      assertThat(signer.verify(tampered, signature)).as("bundle byte %d flipped", i).isFalse();
    }
    for (int i = 0; i < signature.length; i++) {
      byte[] tampered = signature.clone();
      tampered[i] ^= 0x01;
      assertThat(signer.verify(BUNDLE, tampered)).as("signature byte %d flipped", i).isFalse();
    }
  }

  @Test
  void theSameSeedGivesTheSameKeyPair() {
    byte[] seed = EvidenceSigner.newSeed();
    EvidenceSigner first = EvidenceSigner.fromSeed(seed);
    EvidenceSigner second = EvidenceSigner.fromSeed(seed);

    assertThat(second.publicKeyX509()).isEqualTo(first.publicKeyX509());
    assertThat(second.verify(BUNDLE, first.sign(BUNDLE))).isTrue();
  }

  @Test
  void anotherSignersKeyDoesNotVerify() {
    EvidenceSigner other = EvidenceSigner.fromSeed(EvidenceSigner.newSeed());

    assertThat(EvidenceSigner.verify(other.publicKeyX509(), BUNDLE, signer.sign(BUNDLE))).isFalse();
    assertThat(EvidenceSigner.verify(new byte[] {1, 2, 3}, BUNDLE, signer.sign(BUNDLE))).isFalse();
  }
}
