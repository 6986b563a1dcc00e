package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Times are written and read by hand on the views' hot path; the wire must not see the difference. Random instants
 * (replay a failure with {@code -Dkeyhold.seed=N}; every message carries the seed) of every precision, in the years
 * written by hand and outside them, against java.time's own text and reading.
 */
class WireTimeTest {
  private static final int SAMPLES = 20_000;
  /** 0001-01-01 to 9999-12-31, and a little past both ends of what is written by hand. */
  private static final long SECONDS_MIN = -62_135_596_800L;
  private static final long SECONDS_MAX = Wire.HAND_WRITTEN_SECONDS_MAX + 86_400L * 400;

  @Test
  void writesAndReadsEveryTimeAsJavaTimeDoes() {
    String property = System.getProperty("keyhold.seed");
    long seed = property == null || property.isBlank() ? new Random().nextLong() : Long.parseLong(property.trim());
    Random random = new Random(seed);
    for (int i = 0; i < SAMPLES; i++) {
      Instant instant = randomInstant(random);
      String text = instant.toString();
      String at = "seed " + seed + ", " + text;
      assertThat(Wire.time(instant)).as(at).isEqualTo(text);
      assertThat(Wire.time(instant.atOffset(ZoneOffset.UTC))).as(at).isEqualTo(text);
      assertThat(Wire.instant(text)).as(at).isEqualTo(instant);
      if (text.charAt(4) != '-') {
        continue; // a year past 9999, which PostgreSQL does not write this way
      }
      // PostgreSQL's JSON of a timestamp in UTC: the offset written out, microseconds at most.
      Instant micros = Instant.ofEpochSecond(instant.getEpochSecond(), instant.getNano() / 1_000 * 1_000);
      String postgres = text.substring(0, 19) + fraction(micros.getNano()) + "+00:00";
      assertThat(Wire.instant(postgres)).as("seed " + seed + ", " + postgres).isEqualTo(micros);
    }
  }

  @Test
  void readsOtherOffsetsAndRefusesWhatIsNotATime() {
    assertThat(Wire.instant("2026-12-04T21:15:01.5+01:00")).isEqualTo(Instant.parse("2026-12-04T20:15:01.500Z"));
    assertThat(Wire.instant("2026-12-04T20:15Z")).isEqualTo(Instant.parse("2026-12-04T20:15:00Z"));
    assertThat(Wire.instant("2024-02-29T00:00:00Z")).isEqualTo(OffsetDateTime.parse("2024-02-29T00:00Z").toInstant());
    assertThat(Wire.instant(null)).isNull();
    assertThat(Wire.time((Instant) null)).isNull();
    for (String notATime : new String[] {"2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-04T24:00:00Z",
        "2026-12-04T20:60:00Z", "2026-12-04T20:15:01.1234567890Z", "2026-12-04 20:15:01Z",
        "2026-12-04T20:15:01", "2026-12-04T20:15:01ZZ", "２026-12-04T20:15:01Z", ""}) {
      assertThatThrownBy(() -> Wire.instant(notATime)).as(notATime).isInstanceOf(DateTimeParseException.class);
    }
  }

  private static Instant randomInstant(Random random) {
    long seconds = SECONDS_MIN + Math.floorMod(random.nextLong(), SECONDS_MAX - SECONDS_MIN);
    if (random.nextInt(4) == 0) {
      // Near now, where nearly every stored time is.
      seconds = 1_700_000_000L + random.nextInt(400_000_000);
    }
    int nanos = switch (random.nextInt(5)) {
      case 0 -> 0;
      case 1 -> random.nextInt(1_000) * 1_000_000;
      case 2 -> random.nextInt(1_000_000) * 1_000;
      case 3 -> random.nextInt(1_000_000_000);
      default -> random.nextInt(10) * 100_000_000;
    };
    return Instant.ofEpochSecond(seconds, nanos);
  }

  /** PostgreSQL's fraction: microseconds with trailing zeros dropped, none when zero. */
  private static String fraction(int nanos) {
    if (nanos == 0) {
      return "";
    }
    String micros = String.format("%06d", nanos / 1_000);
    return "." + micros.replaceAll("0+$", "");
  }
}
