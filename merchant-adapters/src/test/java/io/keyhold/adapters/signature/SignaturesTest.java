package io.keyhold.adapters.signature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.adapters.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignaturesTest {

  private static final String SECRET_A = "secret-a-0123456789abcdef";
  private static final String SECRET_B = "secret-b-0123456789abcdef";
  private static final byte[] BODY = "{\"request_id\":\"r-1\",\"sku_id\":\"demo\"}".getBytes(StandardCharsets.UTF_8);

  private final MutableClock clock = MutableClock.startingNow();

  private Signatures signer(String... secrets) {
    return Signatures.builder().secrets(List.of(secrets)).clock(clock).build();
  }

  @Test
  void matchesTheWorkedExampleInProtocolMd() {
    String body = "{\"request_id\":\"req-1\",\"merchant_id\":\"shop-a\",\"sku_id\":\"demo\",\"reservation_id\":\"res-1\","
        + "\"quantity\":1,\"until\":\"2026-11-22T10:50:30Z\"}";
    Signatures signatures = Signatures.builder()
        .secret("whsec-reference-0123456789abcdef")
        .clock(Clock.fixed(Instant.ofEpochSecond(1_795_343_730L), ZoneOffset.UTC))
        .build();

    String header = signatures.sign(body.getBytes(StandardCharsets.UTF_8));

    assertThat(header).isEqualTo("t=1795343730,v1=46a0ed33f9d3a861113bf8032d9762871f57b546e2a3d43d43b9d6e9364c8c64");
    assertThat(signatures.verify(header, body.getBytes(StandardCharsets.UTF_8))).isEqualTo(SignatureCheck.VALID);
  }

  @Test
  void acceptsWhatTheSameSecretSigned() {
    assertThat(signer(SECRET_A).verify(signer(SECRET_A).sign(BODY), BODY)).isEqualTo(SignatureCheck.VALID);
  }

  @Test
  void rejectsASignatureMadeWithAnotherSecret() {
    assertThat(signer(SECRET_A).verify(signer(SECRET_B).sign(BODY), BODY)).isEqualTo(SignatureCheck.MISMATCH);
  }

  @Test
  void rejectsABodyChangedAfterSigning() {
    String header = signer(SECRET_A).sign(BODY);
    byte[] tampered = new String(BODY, StandardCharsets.UTF_8).replace("demo", "gold").getBytes(StandardCharsets.UTF_8);

    assertThat(signer(SECRET_A).verify(header, tampered)).isEqualTo(SignatureCheck.MISMATCH);
  }

  @Test
  void rejectsATimestampChangedAfterSigning() {
    String header = signer(SECRET_A).sign(BODY);
    long t = clock.instant().getEpochSecond();

    assertThat(signer(SECRET_A).verify(header.replace("t=" + t, "t=" + (t + 1)), BODY)).isEqualTo(SignatureCheck.MISMATCH);
  }

  @Test
  void rejectsSignaturesOlderOrNewerThanTheReplayWindow() {
    Signatures signatures = signer(SECRET_A);
    long now = clock.instant().getEpochSecond();

    assertThat(signatures.verify(signatures.sign(BODY, now - 301), BODY)).isEqualTo(SignatureCheck.STALE);
    assertThat(signatures.verify(signatures.sign(BODY, now + 301), BODY)).isEqualTo(SignatureCheck.STALE);
    assertThat(signatures.verify(signatures.sign(BODY, now - 299), BODY)).isEqualTo(SignatureCheck.VALID);
  }

  @Test
  void rejectsTheSameSignatureTheSecondTime() {
    Signatures receiver = signer(SECRET_A);
    String header = signer(SECRET_A).sign(BODY);

    assertThat(receiver.verify(header, BODY)).isEqualTo(SignatureCheck.VALID);
    assertThat(receiver.verify(header, BODY)).isEqualTo(SignatureCheck.REPLAYED);
    assertThat(receiver.verify(header + ",v1=" + "0".repeat(64), BODY))
        .as("an extra bogus v1 does not hide a replay")
        .isEqualTo(SignatureCheck.REPLAYED);
  }

  @Test
  void authenticatesARepeatedMessageAgainAndRemembersNothing() {
    Signatures receiver = Signatures.builder().secret(SECRET_A).clock(clock).replayCache(new ReplayCache(1)).build();
    Signatures sender = signer(SECRET_A);
    byte[] one = "one".getBytes(StandardCharsets.UTF_8);
    byte[] two = "two".getBytes(StandardCharsets.UTF_8);
    long now = clock.instant().getEpochSecond();
    assertThat(receiver.verify(sender.sign(one), one)).isEqualTo(SignatureCheck.VALID);
    String header = sender.sign(two);

    assertThat(receiver.authenticate(header, two)).isEqualTo(SignatureCheck.VALID);
    assertThat(receiver.authenticate(header, two)).as("the same message again").isEqualTo(SignatureCheck.VALID);
    assertThat(receiver.authenticate(sender.sign(one), one)).as("one the replay cache holds").isEqualTo(SignatureCheck.VALID);
    assertThat(receiver.authenticate(header, one)).isEqualTo(SignatureCheck.MISMATCH);
    assertThat(receiver.authenticate(sender.sign(two, now - 301), two)).isEqualTo(SignatureCheck.STALE);
    assertThat(receiver.authenticate(null, two)).isEqualTo(SignatureCheck.MISSING);
    assertThat(receiver.verify(header, two)).as("verify still refuses what the full cache cannot hold")
        .isEqualTo(SignatureCheck.REPLAY_CACHE_FULL);
  }

  @Test
  void acceptsEitherSecretWhileTwoAreActive() {
    String signedWithBoth = signer(SECRET_A, SECRET_B).sign(BODY);

    assertThat(signedWithBoth.split(",v1=")).hasSize(3);
    assertThat(signer(SECRET_A).verify(signedWithBoth, BODY)).isEqualTo(SignatureCheck.VALID);
    assertThat(signer(SECRET_B).verify(signedWithBoth, BODY)).isEqualTo(SignatureCheck.VALID);
    assertThat(signer(SECRET_B, SECRET_A).verify(signer(SECRET_A).sign(BODY), BODY)).isEqualTo(SignatureCheck.VALID);
    assertThat(signer("secret-c-0123456789abcdef").verify(signedWithBoth, BODY)).isEqualTo(SignatureCheck.MISMATCH);
  }

  @Test
  void rejectsHeadersThatDoNotFollowTheRecipe() {
    Signatures signatures = signer(SECRET_A);
    String hex = "a".repeat(64);
    long t = clock.instant().getEpochSecond();

    assertThat(signatures.verify((String) null, BODY)).isEqualTo(SignatureCheck.MISSING);
    assertThat(signatures.verify("", BODY)).isEqualTo(SignatureCheck.MISSING);
    assertThat(signatures.verify("v1=" + hex, BODY)).isEqualTo(SignatureCheck.MALFORMED);
    assertThat(signatures.verify("t=" + t, BODY)).isEqualTo(SignatureCheck.MALFORMED);
    assertThat(signatures.verify("t=abc,v1=" + hex, BODY)).isEqualTo(SignatureCheck.MALFORMED);
    assertThat(signatures.verify("t=" + t + ",t=" + t + ",v1=" + hex, BODY)).isEqualTo(SignatureCheck.MALFORMED);
    assertThat(signatures.verify("t=" + t + ",v1=" + "g".repeat(64), BODY)).isEqualTo(SignatureCheck.MALFORMED);
    assertThat(signatures.verify("t=" + t + ",v1=abc", BODY)).isEqualTo(SignatureCheck.MALFORMED);
    assertThat(signatures.verify("t=" + t + ",v1=" + hex + ",v1=" + hex + ",v1=" + hex, BODY))
        .isEqualTo(SignatureCheck.MALFORMED);
    assertThat(signatures.verify("t=" + t + ",v1=" + hex + ",x=" + "y".repeat(600), BODY))
        .isEqualTo(SignatureCheck.MALFORMED);
    assertThat(signatures.verify("garbage", BODY)).isEqualTo(SignatureCheck.MALFORMED);
  }

  @Test
  void ignoresUnknownSchemesBesideV1() {
    String header = signer(SECRET_A).sign(BODY) + ",v2=whatever";

    assertThat(signer(SECRET_A).verify(header, BODY)).isEqualTo(SignatureCheck.VALID);
  }

  @Test
  void aFullReplayCacheRejectsRatherThanForgets() {
    Signatures receiver = Signatures.builder().secret(SECRET_A).clock(clock).replayCache(new ReplayCache(1)).build();
    Signatures sender = signer(SECRET_A);

    assertThat(receiver.verify(sender.sign("one".getBytes(StandardCharsets.UTF_8)), "one".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(SignatureCheck.VALID);
    assertThat(receiver.verify(sender.sign("two".getBytes(StandardCharsets.UTF_8)), "two".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(SignatureCheck.REPLAY_CACHE_FULL);
  }

  @Test
  void theReplayCacheForgetsSignaturesOnceTheyAreStale() {
    ReplayCache cache = new ReplayCache(1);
    Signatures receiver = Signatures.builder().secret(SECRET_A).clock(clock).replayCache(cache).build();
    Signatures sender = signer(SECRET_A);
    receiver.verify(sender.sign("one".getBytes(StandardCharsets.UTF_8)), "one".getBytes(StandardCharsets.UTF_8));

    clock.advance(Duration.ofSeconds(301));

    assertThat(receiver.verify(sender.sign("two".getBytes(StandardCharsets.UTF_8)), "two".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(SignatureCheck.VALID);
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void refusesWeakOrTooManySecretsAndNeverShowsThem() {
    assertThatThrownBy(() -> Signatures.builder().secret("short"))
        .hasMessage("a secret must be at least 16 bytes, but one was 5");
    assertThatThrownBy(() -> Signatures.builder().secret(SECRET_A).secret(SECRET_B).secret(SECRET_A))
        .hasMessageContaining("at most 2 secrets");
    assertThatThrownBy(() -> Signatures.builder().build()).hasMessageContaining("at least one secret");
    assertThatThrownBy(() -> Signatures.builder().replayWindowSeconds(0))
        .hasMessage("replayWindowSeconds must be between 1 and 3600, but was 0");
    assertThat(signer(SECRET_A).toString()).doesNotContain(SECRET_A);
  }
}
